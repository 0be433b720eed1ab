#include "integration/virtctl/vm_harness.h"

#include <fstream>
#include <optional>
#include <system_error>

#include <gtest/gtest.h>
#include <libvirt/libvirt.h>
#include <stdlib.h>  // mkdtemp

#include "core/util/check.h"

namespace univirt::virtctl::testing {

VmNodeSettings VmHarness::defaultSettings() {
  VmNodeSettings settings;
  settings.node_name = "node1";
  return settings;
}

VmHarness::VmHarness(const std::string& uri, VmNodeSettings settings) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "univirt-vm-test.XXXXXX").string();
  UNIVIRT_CHECK(mkdtemp(pattern.data()) != nullptr, "a temp dir can be created");
  dir_ = pattern;
  std::filesystem::permissions(
      dir_, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                std::filesystem::perms::others_exec);
  auto connection = virt::Connection::open(uri);
  UNIVIRT_CHECK(connection.has_value(), "the libvirt connection of the test opens");
  connection_ = std::make_shared<virt::Connection>(std::move(*connection));
  auto observer = virt::Connection::open(uri);
  UNIVIRT_CHECK(observer.has_value(), "the observer connection opens");
  observer_ = std::make_unique<virt::Connection>(std::move(*observer));
  settings.device_dir = (dir_ / "devices").string();
  deps_.settings = std::move(settings);
  deps_.connect = [this]() -> util::Result<std::shared_ptr<virt::Connection>> {
    return connection_;
  };
  addVirtualMachineOperations(table_, deps_);
}

VmHarness::~VmHarness() {
  for (const std::string& name : domains_) {
    virt::DomainHandle domain(virDomainLookupByName(observer_->get(), name.c_str()));
    if (!domain) {
      continue;
    }
    if (virDomainIsActive(domain.get()) == 1) {
      virDomainDestroy(domain.get());
    }
    if (virDomainIsPersistent(domain.get()) == 1) {
      virDomainUndefineFlags(
          domain.get(), VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string VmHarness::makeFile(const std::string& file, std::size_t bytes) const {
  std::string full = path(file);
  std::ofstream out(full, std::ios::binary | std::ios::trunc);
  out << std::string(bytes, '\0');
  return full;
}

util::Result<lifecycle::Invocation> VmHarness::invocation(const std::string& key,
                                                          const std::string& name,
                                                          const nlohmann::json& params,
                                                          const std::string& namespace_name) const {
  lifecycle::RequestError detail;
  auto request = table_.validate("VirtualMachine", name, nlohmann::json{{key, params}},
                                 {.path_roots = {dir_.string()}}, &detail);
  if (!request) {
    return request.error();
  }
  lifecycle::Invocation invocation;
  invocation.operation = request->operation;
  invocation.object = {{"metadata", {{"name", name}, {"namespace", namespace_name}}}};
  invocation.namespace_name = namespace_name;
  invocation.name = name;
  invocation.params = std::move(request->params);
  invocation.request_id = "test";
  return invocation;
}

util::Result<lifecycle::Outcome> VmHarness::run(const std::string& key, const std::string& name,
                                                const nlohmann::json& params,
                                                const std::string& namespace_name) {
  domains_.insert(name);
  auto call = invocation(key, name, params, namespace_name);
  if (!call) {
    return call.error();
  }
  return call->operation->handler(*call);
}

// The engine refreshes and settles with the request it took; the params do not matter to
// either, only the name and namespace.
lifecycle::Invocation VmHarness::taken(const std::string& key, const std::string& name,
                                       const std::string& namespace_name) const {
  lifecycle::Invocation invocation;
  invocation.operation = table_.find("VirtualMachine", key);
  UNIVIRT_CHECK(invocation.operation != nullptr, "the test names a known operation");
  invocation.object = {{"metadata", {{"name", name}, {"namespace", namespace_name}}}};
  invocation.namespace_name = namespace_name;
  invocation.name = name;
  invocation.params.set(invocation.operation->name_field, name);
  invocation.request_id = "test";
  return invocation;
}

util::Result<lifecycle::Refreshed> VmHarness::refresh(const std::string& key,
                                                      const std::string& name,
                                                      const std::string& namespace_name) {
  const std::optional<lifecycle::Invocation> call = taken(key, name, namespace_name);
  UNIVIRT_CHECK(static_cast<bool>(call->operation->refresh), "the operation has a refresh");
  return call->operation->refresh(*call);
}

util::Result<lifecycle::Settlement> VmHarness::settle(const std::string& key,
                                                      const std::string& name,
                                                      const std::string& namespace_name) {
  const std::optional<lifecycle::Invocation> call = taken(key, name, namespace_name);
  UNIVIRT_CHECK(static_cast<bool>(call->operation->settle), "the operation has a settle");
  return call->operation->settle(*call);
}

std::string domainXml(virt::Connection& connection, const std::string& name, unsigned int flags) {
  auto domain = connection.lookupDomain(name);
  if (!domain) {
    ADD_FAILURE() << domain.error().message;
    return {};
  }
  auto xml = domain->xml(flags);
  if (!xml) {
    ADD_FAILURE() << xml.error().message;
    return {};
  }
  return *xml;
}

}  // namespace univirt::virtctl::testing
