#pragma once

// A real ovsdb-server for the ovnctl tests: a fresh database from an installed schema (the
// OVN northbound or the Open_vSwitch one) in a temp directory, served on a unix socket there.
// Nothing listens on the network. The server is stopped and the directory removed when the
// object goes away.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/util/result.h"

namespace univirt::ovnctl::testing {

inline constexpr const char* kNorthboundSchema = "/usr/share/ovn/ovn-nb.ovsschema";
inline constexpr const char* kVswitchSchema = "/usr/share/openvswitch/vswitch.ovsschema";

class OvsdbServer {
 public:
  // Creates DIR/db from `schema` and starts ovsdb-server on DIR/db.sock (returns once it
  // accepts connections: --detach waits for that).
  // With `tcp`, it also listens on 127.0.0.1 on a port the kernel picks (tcpPort()).
  static util::Result<std::unique_ptr<OvsdbServer>> start(const std::string& schema,
                                                          bool tcp = false);
  ~OvsdbServer();
  OvsdbServer(const OvsdbServer&) = delete;
  OvsdbServer& operator=(const OvsdbServer&) = delete;

  std::string endpoint() const { return "unix:" + (dir_ / "db.sock").string(); }
  const std::filesystem::path& dir() const { return dir_; }
  // The TCP port from the server log ("listening on port N"); 0 if there is none.
  int tcpPort() const;

  // `ovsdb-client dump` of the whole database: equal text = equal contents (uuids included).
  std::string dump() const;
  // ovn-nbctl --db=<endpoint> ARGS / ovs-vsctl --db=<endpoint> --no-wait ARGS; stdout, trimmed.
  // A failing command fails the calling test (ADD_FAILURE) and returns "".
  std::string nbctl(const std::vector<std::string>& args) const;
  std::string vsctl(const std::vector<std::string>& args) const;
  // The same, returning whether it succeeded (for checks that expect a failure).
  bool tryRun(const std::vector<std::string>& argv, std::string* out) const;

 private:
  explicit OvsdbServer(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::string run(std::vector<std::string> argv) const;

  std::filesystem::path dir_;
  int pid_ = 0;
};

}  // namespace univirt::ovnctl::testing
