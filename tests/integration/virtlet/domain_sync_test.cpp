// Domains defined outside univirt (crd-contract.md §5.2, /etc/libvirt/qemu rows): a temporary
// directory stands in for /etc/libvirt/qemu, libvirt's test driver holds the domains.

#include "virtlet/domain_sync.h"

#include <fstream>

#include <fmt/format.h>

#include "integration/virtlet/virtlet_test_support.h"
#include "virtlet/kinds.h"

namespace univirt::virtlet {
namespace {

using namespace std::chrono_literals;
using testing::waitFor;

constexpr const char* kUri = "test:///default";
constexpr const char* kNode = "vlet-node";

std::string domainXml(const std::string& name) {
  return fmt::format(
      "<domain type='test'><name>{}</name><memory unit='KiB'>131072</memory><vcpu>1</vcpu>"
      "<os><type arch='x86_64'>hvm</type></os></domain>",
      name);
}

class DomainSyncTest : public testing::VirtletTest {
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
  void startSync() {
    sync_ = std::make_unique<DomainSync>(
        *daemon_client_,
        [this] { return util::Result<std::shared_ptr<virt::Connection>>(connection_); },
        DomainSyncOptions{
            .node_name = kNode, .home_namespace = ns_, .config_dir = qemu_dir_, .debounce = 300ms},
        util::Clock::real());
    ASSERT_TRUE(sync_->start().has_value());
  }
  // What libvirtd does on virsh define: the domain exists, then its file is written.
  void defineOutside(const std::string& name) {
    ASSERT_TRUE(connection_->defineDomain(domainXml(name)).has_value());
    writeFile(name + ".xml", domainXml(name));
  }
  void writeFile(const std::string& file, const std::string& text) {
    std::ofstream(qemu_dir_ + "/" + file) << text;
  }
  nlohmann::json vm(const std::string& name) const { return get(kVirtualMachines, name); }

  std::shared_ptr<virt::Connection> connection_;
  std::string qemu_dir_;
  std::unique_ptr<DomainSync> sync_;
};

TEST_F(DomainSyncTest, ADomainDefinedOutsideGetsItsVirtualMachine) {
  startSync();  // creates the missing directory, as upstream
  defineOutside("outside-1");
  ASSERT_TRUE(waitFor([&] { return !vm("outside-1").is_null(); }));
  const auto object = vm("outside-1");
  EXPECT_EQ(object["metadata"]["labels"]["host"], kNode);
  EXPECT_EQ(object["spec"]["nodeName"], kNode);
  EXPECT_EQ(object["spec"]["powerstate"], "Shutdown");
  EXPECT_EQ(object["spec"]["status"]["conditions"]["state"]["waiting"]["reason"], "Shutdown");
  EXPECT_EQ(object["spec"]["domain"]["name"]["text"], "outside-1");
  EXPECT_TRUE(object["spec"]["description"].contains("lastOperationTimeStamp"));
}

TEST_F(DomainSyncTest, FilesPresentAtStartAreSyncedWithoutAnEvent) {
  std::filesystem::create_directories(qemu_dir_);
  defineOutside("outside-2");
  startSync();
  ASSERT_TRUE(waitFor([&] { return !vm("outside-2").is_null(); }));
}

TEST_F(DomainSyncTest, AnUnassignedVirtualMachineIsAdoptedAndAPendingRequestKept) {
  auto created = client_->create(
      kVirtualMachines,
      {{"apiVersion", "doslab.io/v1"},
       {"kind", "VirtualMachine"},
       {"metadata", {{"name", "outside-3"}, {"namespace", ns_}}},
       {"spec", {{"image", "centos"}, {"lifecycle", {{"startVM", nlohmann::json::object()}}}}}});
  ASSERT_TRUE(created.has_value()) << created.error().message;
  startSync();
  defineOutside("outside-3");
  ASSERT_TRUE(waitFor([&] { return vm("outside-3")["metadata"]["labels"].contains("host"); }));
  const auto object = vm("outside-3");
  EXPECT_EQ(object["metadata"]["labels"]["host"], kNode);
  EXPECT_EQ(object["spec"]["nodeName"], kNode);
  EXPECT_EQ(object["spec"]["image"], "centos");
  EXPECT_TRUE(object["spec"].contains("lifecycle"));
  EXPECT_EQ(object["spec"]["domain"]["name"]["text"], "outside-3");
}

TEST_F(DomainSyncTest, AnotherNodesStoppedDomainIsLeftAlone) {
  auto created = client_->create(
      kVirtualMachines,
      {{"apiVersion", "doslab.io/v1"},
       {"kind", "VirtualMachine"},
       {"metadata", {{"name", "outside-4"}, {"namespace", ns_}, {"labels", {{"host", "other"}}}}},
       {"spec", {{"nodeName", "other"}}}});
  ASSERT_TRUE(created.has_value());
  startSync();
  defineOutside("outside-4");
  ASSERT_TRUE(waitFor([&] { return sync_->handled() >= 1 && sync_->pending() == 0; }));
  EXPECT_EQ(vm("outside-4")["metadata"]["labels"]["host"], "other");
  EXPECT_FALSE(vm("outside-4")["spec"].contains("domain"));
}

TEST_F(DomainSyncTest, ARedefinitionRefreshesTheDomainOfThisNodesVirtualMachine) {
  startSync();
  defineOutside("outside-5");
  ASSERT_TRUE(waitFor([&] { return !vm("outside-5").is_null(); }));
  auto defined = connection_->lookupDomain("outside-5");
  ASSERT_TRUE(defined.has_value());
  const std::string changed = fmt::format(
      "<domain type='test'><name>outside-5</name><uuid>{}</uuid>"
      "<memory unit='KiB'>262144</memory><vcpu>2</vcpu><os><type arch='x86_64'>hvm</type></os>"
      "</domain>",
      defined->uuid());
  ASSERT_TRUE(connection_->defineDomain(changed).has_value());
  writeFile("outside-5.xml", changed);
  ASSERT_TRUE(waitFor([&] { return vm("outside-5")["spec"]["domain"]["vcpu"]["text"] == 2; }));
}

TEST_F(DomainSyncTest, ARemovedFileLeavesTheVirtualMachineAlone) {
  startSync();
  defineOutside("outside-8");
  ASSERT_TRUE(waitFor([&] { return !vm("outside-8").is_null() && sync_->pending() == 0; }));
  const std::size_t handled = sync_->handled();
  auto domain = connection_->lookupDomain("outside-8");
  ASSERT_TRUE(domain.has_value());
  ASSERT_TRUE(domain->undefine().has_value());
  std::filesystem::remove(qemu_dir_ + "/outside-8.xml");
  ASSERT_TRUE(waitFor([&] { return sync_->handled() > handled && sync_->pending() == 0; }));
  EXPECT_FALSE(vm("outside-8").is_null());  // deleteVM removes objects, not virtlet
}

TEST_F(DomainSyncTest, AMalformedOrUnknownFileIsSkippedAndLoggedOnce) {
  startSync();
  writeFile("broken.xml", "<domain><name>broken</name");
  writeFile("ghost.xml", domainXml("ghost"));  // no such libvirt domain
  ASSERT_TRUE(waitFor([&] { return sync_->skipped() == 2 && sync_->pending() == 0; }));
  writeFile("broken.xml", "<domain><name>broken</name><oops");
  defineOutside("outside-6");  // the sync goes on
  ASSERT_TRUE(waitFor([&] { return !vm("outside-6").is_null(); }));
  EXPECT_EQ(sync_->skipped(), 2U);
  EXPECT_TRUE(vm("broken").is_null());
  EXPECT_TRUE(vm("ghost").is_null());
}

TEST_F(DomainSyncTest, ARefreshTheApiServerRefusesIsReportedAsVirtletError) {
  startSync();
  defineOutside("outside-9");
  ASSERT_TRUE(waitFor([&] { return !vm("outside-9").is_null() && sync_->pending() == 0; }));
  auto defined = connection_->lookupDomain("outside-9");
  ASSERT_TRUE(defined.has_value());
  // kube-lite, like kube-apiserver, takes bodies of up to 3 MiB: this definition cannot be
  // written into .spec.domain.
  const std::string huge = fmt::format(
      "<domain type='test'><name>outside-9</name><uuid>{}</uuid><description>{}</description>"
      "<memory unit='KiB'>131072</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os>"
      "</domain>",
      defined->uuid(), std::string(std::size_t{3} << 20, 'x'));
  ASSERT_TRUE(connection_->defineDomain(huge).has_value());
  writeFile("outside-9.xml", huge);
  static const nlohmann::json::json_pointer kWaiting("/spec/status/conditions/state/waiting");
  const auto waiting_of = [&] {
    const nlohmann::json object = vm("outside-9");
    return object.is_object() ? object.value(kWaiting, nlohmann::json::object())
                              : nlohmann::json::object();
  };
  ASSERT_TRUE(waitFor([&] { return waiting_of().value("reason", "") == "VirtletError"; }));
  const nlohmann::json waiting = waiting_of();
  EXPECT_NE(waiting.value("message", "").find("could not be refreshed from domain 'outside-9'"),
            std::string::npos)
      << waiting.dump();
  const kube::ResourceRef events{"", "v1", "events", true};
  ASSERT_TRUE(waitFor([&] {
    auto listed = client_->list(events, ns_);
    if (!listed) {
      return false;
    }
    for (const auto& event : listed->items) {
      if (event["involvedObject"].value("name", "") == "outside-9" &&
          event.value("type", "") == "Warning" && event.value("reason", "") == "VirtletError") {
        return true;
      }
    }
    return false;
  }));
}

TEST_F(DomainSyncTest, ABurstOfWritesIsHandledAtMostTwicePerWindow) {
  startSync();
  ASSERT_TRUE(connection_->defineDomain(domainXml("outside-7")).has_value());
  for (int i = 0; i < 50; ++i) {
    writeFile("outside-7.xml", domainXml("outside-7"));
  }
  ASSERT_TRUE(waitFor([&] { return !vm("outside-7").is_null() && sync_->pending() == 0; }));
  EXPECT_LE(sync_->handled(), 2U);
}

}  // namespace
}  // namespace univirt::virtlet
