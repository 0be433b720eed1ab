// virtlet's side of event_series_test.cpp: a path of its code that no other test reaches, run
// in-process as virtlet (VirtletTest's daemon client), asserted by its behaviour.

#include <fstream>

#include <fmt/format.h>

#include "integration/virtlet/virtlet_test_support.h"
#include "virtlet/domain_sync.h"
#include "virtlet/kinds.h"

namespace univirt::virtlet {
namespace {

using namespace std::chrono_literals;
using testing::waitFor;

constexpr const char* kUri = "test:///default";
constexpr const char* kNode = "rbac-vlet-node";

// `description` makes the definition too large for .spec.domain (kube-lite, like
// kube-apiserver, takes request bodies of up to 3 MiB) when it is that large.
std::string domainXml(const std::string& name, const std::string& uuid,
                      const std::string& description) {
  return fmt::format(
      "<domain type='test'><name>{}</name>{}<description>{}</description>"
      "<memory unit='KiB'>131072</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os>"
      "</domain>",
      name, uuid.empty() ? "" : fmt::format("<uuid>{}</uuid>", uuid), description);
}

class VirtletEventSeries : public testing::VirtletTest {
 protected:
  void SetUp() override {
    VirtletTest::SetUp();
    auto connection = virt::Connection::open(kUri);
    ASSERT_TRUE(connection.has_value());
    connection_ = std::make_shared<virt::Connection>(std::move(*connection));
    qemu_dir_ = (dir_ / "qemu").string();
  }
  void TearDown() override {
    if (sync_) {
      sync_->stop();
    }
    VirtletTest::TearDown();
  }
  // What libvirtd does on virsh define: the domain is (re)defined, then its file is written.
  void define(const std::string& name, const std::string& uuid, const std::string& description) {
    const std::string xml = domainXml(name, uuid, description);
    ASSERT_TRUE(connection_->defineDomain(xml).has_value());
    std::ofstream(qemu_dir_ + "/" + name + ".xml") << xml;
  }
  std::string waitingReason(const std::string& name) const {
    const nlohmann::json object = get(kVirtualMachines, name);
    const nlohmann::json::json_pointer reason("/spec/status/conditions/state/waiting/reason");
    return object.is_object() && object.contains(reason) ? object[reason].get<std::string>()
                                                         : std::string();
  }
  // The core/v1 Warning Events VirtletError about `name`.
  std::vector<nlohmann::json> virtletErrors(const std::string& name) const {
    std::vector<nlohmann::json> found;
    auto listed = client_->list(kube::ResourceRef{"", "v1", "events", true}, ns_);
    if (!listed) {
      return found;
    }
    for (const auto& event : listed->items) {
      if (event["involvedObject"].value("name", "") == name &&
          event.value("reason", "") == "VirtletError") {
        found.push_back(event);
      }
    }
    return found;
  }

  std::shared_ptr<virt::Connection> connection_;
  std::string qemu_dir_;
  std::unique_ptr<DomainSync> sync_;
};

// The same refresh failure of one VirtualMachine, again after its state had been rewritten, is
// the same Warning Event with its count raised (a merge patch of the Event), not a second Event.
TEST_F(VirtletEventSeries, TheSameFailureAgainRaisesTheCountOfItsEvent) {
  sync_ = std::make_unique<DomainSync>(
      *daemon_client_,
      [this] { return util::Result<std::shared_ptr<virt::Connection>>(connection_); },
      DomainSyncOptions{
          .node_name = kNode, .home_namespace = ns_, .config_dir = qemu_dir_, .debounce = 300ms},
      util::Clock::real());
  ASSERT_TRUE(sync_->start().has_value());
  const std::string name = "rbac-series";
  define(name, "", "small");
  ASSERT_TRUE(waitFor([&] { return waitingReason(name) == "Shutdown"; })) << waitingReason(name);
  auto domain = connection_->lookupDomain(name);
  ASSERT_TRUE(domain.has_value());
  const std::string uuid = domain->uuid();
  const std::string huge(std::size_t{3} << 20, 'x');

  define(name, uuid, huge);
  ASSERT_TRUE(waitFor([&] { return waitingReason(name) == "VirtletError"; }));
  ASSERT_TRUE(waitFor([&] { return virtletErrors(name).size() == 1; }));
  // A refresh of virtlet's own VirtualMachine leaves the state alone; libvirtwatcher rewrites
  // it on the domain's next event, as this update does.
  auto current = client_->get(kVirtualMachines, kube::ObjectKey{ns_, name});
  ASSERT_TRUE(current.has_value());
  (*current)["spec"]["status"] = {
      {"conditions",
       {{"state", {{"waiting", {{"reason", "Shutdown"}, {"message", "The VM is Shutdown"}}}}}}}};
  ASSERT_TRUE(client_->update(kVirtualMachines, *current).has_value());
  ASSERT_EQ(waitingReason(name), "Shutdown");
  define(name, uuid, huge);
  ASSERT_TRUE(waitFor([&] { return waitingReason(name) == "VirtletError"; }));
  ASSERT_TRUE(waitFor([&] {
    const auto found = virtletErrors(name);
    return found.size() == 1 && found.front().value("count", 0) == 2;
  })) << fmt::format("{} VirtletError Events", virtletErrors(name).size());
}

}  // namespace
}  // namespace univirt::virtlet
