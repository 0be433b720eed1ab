#pragma once

// What the RBD tests share: the single-node Ceph cluster of the `univirt_ceph` ctest fixture
// (tests/fixtures/ceph/ceph-fixture.sh), found through UNIVIRT_CEPH_CONF, a Ceph pool of the
// test's own, and read-backs through the real `rbd` command (argv).

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "core/util/exec.h"

namespace univirt::sdsctl::testing {

// Where the cluster is. `conf` empty: `skip` says why the test skips (no ceph binaries), or
// `error` why it fails (binaries installed but no cluster: a broken fixture is a failure).
struct CephCluster {
  std::string conf = {};
  std::string skip = {};
  std::string error = {};
};

inline CephCluster findCephCluster() {
  if (!std::filesystem::exists("/usr/bin/ceph-mon") || !std::filesystem::exists("/usr/bin/rbd")) {
    return {.skip =
                "ceph binaries are missing (apt-get install ceph-mon ceph-osd ceph-mgr "
                "ceph-common)"};
  }
  const char* conf = std::getenv("UNIVIRT_CEPH_CONF");
  if (conf == nullptr || !std::filesystem::exists(conf)) {
    return {.error = fmt::format("UNIVIRT_CEPH_CONF is unset or names no file ('{}'); run through "
                                 "ctest (fixture univirt_ceph) or start "
                                 "tests/fixtures/ceph/ceph-fixture.sh start DIR and export it",
                                 conf == nullptr ? "" : conf)};
  }
  return {.conf = conf};
}

// In SetUp: FAIL or SKIP (returning from SetUp) unless the cluster is there.
#define UNIVIRT_REQUIRE_CEPH(cluster) \
  do {                                \
    if (!(cluster).error.empty()) {   \
      FAIL() << (cluster).error;      \
    }                                 \
    if ((cluster).conf.empty()) {     \
      GTEST_SKIP() << (cluster).skip; \
    }                                 \
  } while (false)

inline util::ExecResult run(const std::vector<std::string>& argv) {
  auto ran = util::runProgram(argv, {.timeout = std::chrono::seconds(60)});
  if (!ran) {
    ADD_FAILURE() << ran.error().message;
    return {};
  }
  return *ran;
}

inline util::ExecResult rbd(const std::string& conf, std::vector<std::string> args) {
  std::vector<std::string> argv = {"/usr/bin/rbd", "--conf", conf};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

inline util::ExecResult ceph(const std::string& conf, std::vector<std::string> args) {
  std::vector<std::string> argv = {"/usr/bin/ceph", "--conf", conf};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

// `rbd <args> --format json`, parsed; null when the command failed.
inline nlohmann::json rbdJson(const std::string& conf, std::vector<std::string> args) {
  args.push_back("--format");
  args.push_back("json");
  auto ran = rbd(conf, std::move(args));
  if (!ran.succeeded()) {
    return nullptr;
  }
  return nlohmann::json::parse(ran.out, nullptr, false);
}

// A Ceph pool for one test binary, removed at the end.
inline bool createCephPool(const std::string& conf, const std::string& pool) {
  auto created = ceph(conf, {"osd", "pool", "create", pool, "8", "8"});
  if (!created.succeeded()) {
    ADD_FAILURE() << created.err;
    return false;
  }
  auto init = rbd(conf, {"pool", "init", pool});
  if (!init.succeeded()) {
    ADD_FAILURE() << init.err;
    return false;
  }
  return true;
}

inline void deleteCephPool(const std::string& conf, const std::string& pool) {
  (void)ceph(conf, {"osd", "pool", "delete", pool, pool, "--yes-i-really-really-mean-it"});
}

inline std::string uniquePoolName(std::string_view prefix) {
  return fmt::format("{}-{}", prefix, ::getpid());
}

}  // namespace univirt::sdsctl::testing
