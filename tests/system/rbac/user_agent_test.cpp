// The process identity every kube client sends (daemons/core/kube/user_agent.h).

#include "core/kube/user_agent.h"

#include <regex>

#include <gtest/gtest.h>

#include "core/version.h"

namespace univirt::kube {
namespace {

TEST(UserAgent, HasKubectlsFormWithTheProgramVersionAndPlatform) {
  std::string agent = userAgentFor("virtctl");
  EXPECT_EQ(agent.rfind(std::string("univirt-virtctl/") + kVersion + " (linux/", 0), 0u) << agent;
  EXPECT_TRUE(std::regex_match(agent, std::regex(R"(univirt-virtctl/\S+ \(linux/[a-z0-9]+\))")))
      << agent;
  EXPECT_EQ(agent.find("unknown"), std::string::npos) << "an architecture Go has a name for";
}

TEST(UserAgent, ProgramIsTheExecutableNameWithoutItsPrefix) {
  EXPECT_EQ(programNameFromExecutable("/usr/bin/univirt-virtctl"), "virtctl");
  EXPECT_EQ(programNameFromExecutable("univirt-libvirtwatcher"), "libvirtwatcher");
  EXPECT_EQ(programNameFromExecutable("/build/tests/core_kube_test"), "core_kube_test");
  // Only a prefix is removed: "univirt-" alone is no program name.
  EXPECT_EQ(programNameFromExecutable("/x/univirt-"), "univirt-");
  EXPECT_EQ(programNameFromExecutable("/x/"), "unknown");
}

TEST(UserAgent, IsFixedForTheProcessOnceRead) {
  // This test binary is not a daemon: its identity is its own name, so its requests are never
  // mistaken for a daemon's in an audit log.
  const std::string own = userAgentFor("rbac_unit_test");
  EXPECT_EQ(userAgent(), own);
  setProgramName("virtctl");
  EXPECT_EQ(userAgent(), own);
}

}  // namespace
}  // namespace univirt::kube
