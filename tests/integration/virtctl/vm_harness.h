#pragma once

// Runs VirtualMachine operations the way the engine does — validate the request against the
// table, run the handler, read back the refresh — against a real libvirt connection, and
// checks libvirt's state through a second connection.

#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "core/lifecycle/operation_table.h"
#include "core/util/result.h"
#include "core/virt/connection.h"
#include "virtctl/vm/vm_operations.h"

namespace univirt::virtctl::testing {

class VmHarness {
 public:
  // `uri`: test:///default or qemu:///system. Creates a temp dir (0755, so QEMU running as
  // another user can reach disk files) that is the only path root.
  explicit VmHarness(const std::string& uri, VmNodeSettings settings = defaultSettings());
  ~VmHarness();
  VmHarness(const VmHarness&) = delete;
  VmHarness& operator=(const VmHarness&) = delete;

  static VmNodeSettings defaultSettings();

  // validate + handler, as the engine runs a request of `key` on VirtualMachine `name`.
  util::Result<lifecycle::Outcome> run(const std::string& key, const std::string& name,
                                       const nlohmann::json& params = nlohmann::json::object(),
                                       const std::string& namespace_name = "default");
  util::Result<lifecycle::Refreshed> refresh(const std::string& key, const std::string& name,
                                             const std::string& namespace_name = "default");
  util::Result<lifecycle::Settlement> settle(const std::string& key, const std::string& name,
                                             const std::string& namespace_name = "default");

  // The second connection: what any other libvirt client sees.
  virt::Connection& observer() { return *observer_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::string path(const std::string& file) const { return (dir_ / file).string(); }
  // Writes `bytes` bytes to a file in dir() and returns its path.
  std::string makeFile(const std::string& file, std::size_t bytes = 0) const;
  const lifecycle::OperationTable& table() const { return table_; }
  VmOperationDeps& deps() { return deps_; }
  // Domains destroyed and undefined when the harness goes away.
  void cleanUpDomain(const std::string& name) { domains_.insert(name); }

 private:
  util::Result<lifecycle::Invocation> invocation(const std::string& key, const std::string& name,
                                                 const nlohmann::json& params,
                                                 const std::string& namespace_name) const;
  lifecycle::Invocation taken(const std::string& key, const std::string& name,
                              const std::string& namespace_name) const;

  std::filesystem::path dir_;
  std::shared_ptr<virt::Connection> connection_;
  std::unique_ptr<virt::Connection> observer_;
  VmOperationDeps deps_;
  lifecycle::OperationTable table_;
  std::set<std::string> domains_;
};

// Reads a domain's XML through `connection` (flags VIR_DOMAIN_XML_*).
std::string domainXml(virt::Connection& connection, const std::string& name,
                      unsigned int flags = 0);

}  // namespace univirt::virtctl::testing
