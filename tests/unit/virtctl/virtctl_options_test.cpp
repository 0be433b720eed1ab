#include "virtctl/virtctl_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace univirt::virtctl {
namespace {

using ::testing::HasSubstr;

TEST(ParseMigrationUri, AcceptsATemplateWithOnePlaceholder) {
  auto uri = parseMigrationUri("migration-uri", "qemu+tls://{}/system");
  ASSERT_TRUE(uri) << uri.error().message;
  EXPECT_EQ(*uri, "qemu+tls://{}/system");
}

TEST(ParseMigrationUri, RefusesATemplateWithoutOrWithTwoPlaceholders) {
  auto none = parseMigrationUri("migration-uri", "qemu+tcp://10.0.0.2/system");
  ASSERT_FALSE(none);
  EXPECT_THAT(none.error().message, HasSubstr("migration-uri: 'qemu+tcp://10.0.0.2/system'"));
  EXPECT_THAT(none.error().message, HasSubstr("exactly once"));
  EXPECT_FALSE(parseMigrationUri("migration-data-uri", "tcp://{}:{}"));
}

TEST(VirtctlOptions, DefaultMigrationUrisAreUpstreams) {
  std::string connect;
  std::string data;
  for (const util::ConfigOption& option : virtctlOptions()) {
    if (option.name == "migration-uri") {
      connect = option.default_value;
    } else if (option.name == "migration-data-uri") {
      data = option.default_value;
    }
  }
  EXPECT_EQ(connect, "qemu+ssh://{}/system");
  EXPECT_EQ(data, "tcp://{}");
  EXPECT_TRUE(parseMigrationUri("migration-uri", connect));
  EXPECT_TRUE(parseMigrationUri("migration-data-uri", data));
}

}  // namespace
}  // namespace univirt::virtctl
