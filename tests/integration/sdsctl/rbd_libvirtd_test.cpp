// cephrbd pools on the real libvirtd of the `virtctl_libvirtd` fixture (qemu:///system, with
// libvirt's rbd storage driver) and the real Ceph cluster of the `univirt_ceph` fixture:
// libvirtd starts the rbd pool (it connects to the monitors itself), lists the RBD disk sdsctl
// made as a volume, and a firmware-only QEMU/TCG guest starts with that disk as
// <disk type='network'><source protocol='rbd'>. The cluster requires cephx: the pool XML names
// the pool's libvirt ceph secret (made by createPool, gone after deletePool), and the guest's
// disk authenticates with the same secret. While it runs the disk is refused for deletion
// and an RBD snapshot of it is taken.

#include <array>
#include <filesystem>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pugixml.hpp>
#include <unistd.h>

#include "core/virt/connection.h"
#include "integration/sdsctl/rbd_test_support.h"
#include "sdsctl/rbd_secret.h"
#include "sdsctl/storage.h"

namespace univirt::sdsctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr const char* kSystemUri = "qemu:///system";

class RbdOnLibvirtd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/sbin/libvirtd") ||
        !util::runProgram({"qemu-system-x86_64", "--version"}).has_value()) {
      GTEST_SKIP() << "libvirt-daemon and qemu-system-x86 are needed";
    }
    const auto cluster = testing::findCephCluster();
    UNIVIRT_REQUIRE_CEPH(cluster);
    conf_ = cluster.conf;
    name_ = fmt::format("uvt-rbd-{}", ::getpid());
    ceph_pool_ = name_;
    ASSERT_TRUE(testing::createCephPool(conf_, ceph_pool_));
    pool_made_ = true;
    auto opened = virt::Connection::open(kSystemUri);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    connection_ = std::make_shared<virt::Connection>(std::move(*opened));
    settings_.rbd.conf = conf_;
  }
  void TearDown() override {
    if (connection_) {
      if (auto domain = connection_->lookupDomain(name_); domain.has_value()) {
        (void)domain->destroy();
        (void)domain->undefine();
      }
      if (auto pool = connection_->lookupStoragePool(name_); pool.has_value()) {
        (void)pool->destroy();
        (void)pool->undefine();
      }
    }
    if (pool_made_) {
      (void)testing::rbd(conf_, {"snap", "purge", ceph_pool_ + "/d"});
      (void)testing::rbd(conf_, {"rm", "--no-progress", ceph_pool_ + "/d"});
      testing::deleteCephPool(conf_, ceph_pool_);
    }
  }

  Storage storage() {
    auto connection = connection_;
    return Storage(
        [connection]() -> util::Result<std::shared_ptr<virt::Connection>> { return connection; },
        settings_);
  }

  std::string conf_;
  std::string ceph_pool_;
  bool pool_made_ = false;
  std::shared_ptr<virt::Connection> connection_;
  StorageSettings settings_;
  std::string name_;
};

TEST_F(RbdOnLibvirtd, GuestStartsWithAnRbdDisk) {
  auto pool = storage().createPool(
      {.name = name_, .type = "cephrbd", .url = "rbd:" + ceph_pool_, .content = "vmd"});
  ASSERT_TRUE(pool.has_value()) << pool.error().message;
  EXPECT_TRUE(pool->active);

  auto disk = storage().createDisk(name_, "cephrbd", "d", "64M", "");
  ASSERT_TRUE(disk.has_value()) << disk.error().message;
  // libvirt's rbd driver sees the image sdsctl made with librbd.
  auto libvirt_pool = connection_->lookupStoragePool(name_);
  ASSERT_TRUE(libvirt_pool.has_value());
  ASSERT_TRUE(libvirt_pool->refresh().has_value());
  auto volume = libvirt_pool->lookupVolume("d");
  ASSERT_TRUE(volume.has_value()) << volume.error().message;

  // The monitors as the pool XML names them: what the domain's disk source needs too.
  pugi::xml_document pool_xml;
  ASSERT_TRUE(pool_xml.load_string(libvirt_pool->xml().value_or("").c_str()));
  auto host = pool_xml.child("pool").child("source").child("host");
  ASSERT_TRUE(host) << "the rbd pool names its monitors";
  // The fixture's cluster requires cephx: libvirtd started the pool with the key in the
  // pool's libvirt secret, and the guest's disk authenticates with the same secret.
  auto auth = pool_xml.child("pool").child("source").child("auth");
  ASSERT_TRUE(auth) << "the rbd pool of a cephx cluster names its secret";
  EXPECT_STREQ(auth.attribute("type").as_string(), "ceph");
  EXPECT_STREQ(auth.attribute("username").as_string(), "admin");
  const std::string secret_uuid = auth.child("secret").attribute("uuid").as_string();
  auto* secret = virSecretLookupByUsage(connection_->get(), VIR_SECRET_USAGE_TYPE_CEPH,
                                        poolSecretUsage(name_).c_str());
  ASSERT_NE(secret, nullptr) << "the pool's secret is a libvirt ceph secret";
  std::array<char, VIR_UUID_STRING_BUFLEN> uuid{};
  ASSERT_EQ(virSecretGetUUIDString(secret, uuid.data()), 0);
  virSecretFree(secret);
  EXPECT_EQ(secret_uuid, uuid.data());
  const std::string xml = fmt::format(
      "<domain type='qemu'><name>{}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>"
      "<os><type arch='x86_64'>hvm</type></os><features><acpi/><apic/></features>"
      "<devices><disk type='network' device='disk'><driver name='qemu' type='raw'/>"
      "<source protocol='rbd' name='{}'><host name='{}' port='{}'/>"
      "<auth username='admin'><secret type='ceph' uuid='{}'/></auth></source>"
      "<target dev='vda' bus='virtio'/></disk>"
      "<graphics type='vnc' listen='127.0.0.1' autoport='yes'/></devices></domain>",
      name_, disk->current.string(), host.attribute("name").as_string(),
      host.attribute("port").as_string(), secret_uuid);
  auto domain = connection_->defineDomain(xml);
  ASSERT_TRUE(domain.has_value()) << domain.error().message;
  auto started = domain->start();
  ASSERT_TRUE(started.has_value()) << started.error().message;
  EXPECT_TRUE(domain->isActive().value_or(false));

  auto refused = storage().deleteDisk(name_, "cephrbd", "d");
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error().message, HasSubstr(fmt::format("domain '{}' is running", name_)));
  using Action = Storage::SnapshotAction;
  auto snapshot = storage().externalSnapshot(Action::Create, name_, "cephrbd", "d", "live");
  ASSERT_TRUE(snapshot.has_value()) << snapshot.error().message;
  auto revert = storage().externalSnapshot(Action::Revert, name_, "cephrbd", "d", "live");
  ASSERT_FALSE(revert.has_value());
  EXPECT_THAT(revert.error().message, HasSubstr("stop the VirtualMachine"));

  ASSERT_TRUE(domain->destroy().has_value());
  ASSERT_TRUE(domain->undefine().has_value());
  ASSERT_TRUE(storage().deleteDisk(name_, "cephrbd", "d").has_value());
  ASSERT_TRUE(storage().deletePool(name_, "cephrbd").has_value());
  EXPECT_FALSE(connection_->lookupStoragePool(name_).has_value());
  secret = virSecretLookupByUsage(connection_->get(), VIR_SECRET_USAGE_TYPE_CEPH,
                                  poolSecretUsage(name_).c_str());
  EXPECT_EQ(secret, nullptr) << "the secret went with the pool";
  if (secret != nullptr) {
    virSecretFree(secret);
  }
}

}  // namespace
}  // namespace univirt::sdsctl
