#include "virtmonitor/domain_stats.h"

#include <algorithm>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libvirt/libvirt.h>
#include <unistd.h>

#include "core/virt/connection.h"
#include "virtmonitor/nic_macs.h"

namespace univirt::virtmonitor {
namespace {

// Typed parameters as libvirt's bulk call hands them over, freed with the test.
class Params {
 public:
  // libvirt's thread-local error state must exist before the first virTypedParams call.
  Params() { EXPECT_EQ(virInitialize(), 0); }
  Params(const Params&) = delete;
  Params& operator=(const Params&) = delete;
  ~Params() { virTypedParamsFree(params_, count_); }
  Params& ullong(const char* name, unsigned long long value) {
    EXPECT_EQ(virTypedParamsAddULLong(&params_, &count_, &max_, name, value), 0);
    return *this;
  }
  Params& integer(const char* name, int value) {
    EXPECT_EQ(virTypedParamsAddInt(&params_, &count_, &max_, name, value), 0);
    return *this;
  }
  Params& string(const char* name, const char* value) {
    EXPECT_EQ(virTypedParamsAddString(&params_, &count_, &max_, name, value), 0);
    return *this;
  }
  virDomainStatsRecord record() { return virDomainStatsRecord{nullptr, params_, count_}; }

 private:
  virTypedParameterPtr params_ = nullptr;
  int count_ = 0;
  int max_ = 0;
};

TEST(ParseDomainStats, SplitsDomainFieldsFromPerDeviceFields) {
  Params params;
  params.integer("state.state", VIR_DOMAIN_RUNNING)
      .integer("state.reason", 1)
      .ullong("cpu.time", 5'000'000'000ULL)
      .ullong("balloon.current", 1048576)
      .ullong("vcpu.current", 2)
      .integer("vcpu.0.state", 1)
      .ullong("vcpu.0.time", 100)
      .ullong("vcpu.1.time", 200)
      .ullong("net.count", 1)
      .string("net.0.name", "vnet7")
      .ullong("net.0.rx.bytes", 4242)
      .ullong("block.count", 1)
      .string("block.0.name", "vda")
      .string("block.0.path", "/images/a.qcow2")
      .ullong("block.0.rd.reqs", 9)
      .ullong("block.0.capacity", 1ULL << 30);
  auto record = params.record();
  DomainStats stats = parseDomainStats(record);
  EXPECT_EQ(stats.state, VIR_DOMAIN_RUNNING);
  EXPECT_EQ(stats.reason, 1);
  EXPECT_EQ(field(stats.fields, "cpu.time"), 5e9);
  EXPECT_EQ(field(stats.fields, "balloon.current"), 1048576);
  EXPECT_EQ(field(stats.fields, "net.count"), 1);
  ASSERT_EQ(stats.vcpus.size(), 2U);
  EXPECT_EQ(stats.vcpus[1].index, 1U);
  EXPECT_EQ(field(stats.vcpus[1].fields, "time"), 200);
  ASSERT_EQ(stats.nets.size(), 1U);
  EXPECT_EQ(stats.nets[0].name, "vnet7");
  EXPECT_EQ(field(stats.nets[0].fields, "rx.bytes"), 4242);
  ASSERT_EQ(stats.blocks.size(), 1U);
  EXPECT_EQ(stats.blocks[0].path, "/images/a.qcow2");
  EXPECT_EQ(field(stats.blocks[0].fields, "capacity"), 1073741824.0);
  EXPECT_FALSE(stats.timed_out);
}

TEST(ParseDomainStats, MarksAnActiveDomainWithoutJobBoundStatsTimedOut) {
  // What NOWAIT leaves of a running domain whose job lock is held: the disk's definition,
  // no I/O counters.
  Params busy;
  busy.integer("state.state", VIR_DOMAIN_RUNNING)
      .ullong("block.count", 2)
      .string("block.0.name", "vda")
      .string("block.0.path", "/images/a.qcow2")
      .ullong("block.0.capacity", 1ULL << 30)
      .string("block.1.name", "hda");  // an empty CD-ROM drive
  auto busy_record = busy.record();
  EXPECT_TRUE(parseDomainStats(busy_record).timed_out);

  Params cdrom_only;
  cdrom_only.integer("state.state", VIR_DOMAIN_RUNNING)
      .ullong("block.count", 1)
      .string("block.0.name", "hda");
  auto cdrom_record = cdrom_only.record();
  EXPECT_FALSE(parseDomainStats(cdrom_record).timed_out);

  Params off;
  off.integer("state.state", VIR_DOMAIN_SHUTOFF)
      .ullong("block.count", 1)
      .string("block.0.name", "vda")
      .ullong("block.0.capacity", 1ULL << 30);
  auto off_record = off.record();
  EXPECT_FALSE(parseDomainStats(off_record).timed_out);
}

// libvirt's test driver, in this process.
class CollectTestDriver : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = virt::Connection::open("test:///default");
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    connection_ = std::make_unique<virt::Connection>(std::move(*opened));
  }
  void TearDown() override {
    for (const std::string& name : defined_) {
      if (auto domain = connection_->lookupDomain(name); domain.has_value()) {
        static_cast<void>(domain->destroy());
        static_cast<void>(domain->undefine());
      }
    }
  }
  virt::Domain define(const std::string& name) {
    defined_.push_back(name);
    auto domain = connection_->defineDomain(
        fmt::format("<domain type='test'><name>{}</name><memory>131072</memory><vcpu>1</vcpu>"
                    "<os><type>hvm</type></os></domain>",
                    name));
    EXPECT_TRUE(domain.has_value()) << domain.error().message;
    return std::move(*domain);
  }

  std::unique_ptr<virt::Connection> connection_;
  std::vector<std::string> defined_;
};

TEST_F(CollectTestDriver, OneBulkCallReportsEveryDomainWithLibvirtsState) {
  const std::string running = fmt::format("vmon-run-{}", ::getpid());
  const std::string off = fmt::format("vmon-off-{}", ::getpid());
  ASSERT_TRUE(define(running).start().has_value());
  define(off);

  auto domains = collectDomainStats(*connection_);
  ASSERT_TRUE(domains.has_value()) << domains.error().message;
  auto all = connection_->listAllDomains();
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(domains->size(), all->size());
  for (const virt::Domain& domain : *all) {
    auto it = std::find_if(domains->begin(), domains->end(),
                           [&](const DomainStats& stats) { return stats.name == domain.name(); });
    ASSERT_NE(it, domains->end()) << domain.name();
    EXPECT_EQ(it->uuid, domain.uuid());
    virDomainInfo info{};
    ASSERT_EQ(virDomainGetInfo(domain.get(), &info), 0);
    EXPECT_EQ(it->state, info.state) << domain.name();
    EXPECT_EQ(field(it->fields, "state.state"), info.state);
  }
}

TEST_F(CollectTestDriver, StoragePoolsComeWithTheirTypeAndLibvirtsSizes) {
  std::map<std::string, std::string> types;
  auto pools = collectStoragePools(*connection_, types);
  ASSERT_TRUE(pools.has_value()) << pools.error().message;
  auto pool = std::find_if(pools->begin(), pools->end(),
                           [](const StoragePoolStats& p) { return p.name == "default-pool"; });
  ASSERT_NE(pool, pools->end());
  EXPECT_EQ(pool->type, "dir");
  EXPECT_TRUE(pool->active);
  auto info = connection_->lookupStoragePool("default-pool")->info();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(pool->capacity_bytes, static_cast<double>(info->capacity_bytes));
  EXPECT_EQ(pool->available_bytes, static_cast<double>(info->available_bytes));
  EXPECT_EQ(types.size(), pools->size());  // remembered for the next refresh
}

TEST(NicMacsOf, PairsTargetDevicesWithMacAddresses) {
  EXPECT_EQ(nicMacsOf("<domain><devices><interface type='user'><mac address='52:54:00:00:00:01'/>"
                      "<target dev='vnet3'/></interface><interface type='user'>"
                      "<mac address='52:54:00:00:00:02'/></interface></devices></domain>"),
            (std::map<std::string, std::string>{{"vnet3", "52:54:00:00:00:01"}}));
  EXPECT_TRUE(nicMacsOf("not xml").empty());
}

TEST_F(CollectTestDriver, NicMacsReadsANewDomainsXmlOnceAndForgetsGoneDomains) {
  DomainStats test;
  test.uuid = "6695eb01-f6a4-8304-79aa-97f2502e193f";  // the test driver's built-in domain
  test.nets.push_back(DeviceStats{.index = 0, .name = "testnet0", .path = {}, .fields = {}});
  NicMacs macs;
  macs.update(*connection_, {test});
  EXPECT_EQ(macs.table().at(test.uuid).at("testnet0"), "aa:bb:cc:dd:ee:ff");
  macs.update(*connection_, {});
  EXPECT_TRUE(macs.table().empty());
}

}  // namespace
}  // namespace univirt::virtmonitor
