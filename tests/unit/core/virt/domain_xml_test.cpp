#include "core/virt/domain_xml.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

// Golden tests over tests/fixtures/domain_xml (see its README.md for where each came from).
// Set UNIVIRT_UPDATE_GOLDEN=1 to rewrite the .json files after an intended change of shape,
// then review the diff: these files are the contract with the upstream JSON shape.

namespace univirt::virt {
namespace {

using nlohmann::ordered_json;

const std::string kFixtureDir = UNIVIRT_SOURCE_DIR "/tests/fixtures/domain_xml/";

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string readFixture(const std::string& name) { return readFile(kFixtureDir + name); }

ordered_json toJson(const std::string& xml) {
  auto json = domainXmlToJson(xml);
  EXPECT_TRUE(json.has_value()) << json.error().message;
  return json.has_value() ? *json : ordered_json();
}

std::string toXml(const ordered_json& json) {
  auto xml = jsonToDomainXml(json);
  EXPECT_TRUE(xml.has_value()) << xml.error().message;
  return xml.has_value() ? *xml : std::string();
}

std::string canonical(const std::string& xml) {
  auto text = canonicalizeXml(xml);
  EXPECT_TRUE(text.has_value()) << text.error().message;
  return text.has_value() ? *text : std::string();
}

class DomainXmlGolden : public ::testing::TestWithParam<std::string> {
 protected:
  std::string xml() const { return readFixture(GetParam() + ".xml"); }
  std::string goldenPath() const { return kFixtureDir + GetParam() + ".json"; }
};

TEST_P(DomainXmlGolden, JsonMatchesGoldenFile) {
  const std::string actual = toJson(xml()).dump(2) + "\n";
  if (std::getenv("UNIVIRT_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(goldenPath(), std::ios::binary) << actual;
  }
  const std::string golden = readFile(goldenPath());
  if (actual != golden) {
    // Name the first difference; the full texts follow for a diff tool.
    const auto diff = ordered_json::diff(ordered_json::parse(golden), ordered_json::parse(actual));
    ADD_FAILURE() << "JSON of " << GetParam() << ".xml differs from the golden file:\n"
                  << diff.dump(2) << "\n--- actual ---\n"
                  << actual;
  }
}

TEST_P(DomainXmlGolden, XmlRoundTripIsCanonicallyEqual) {
  const std::string original = xml();
  const std::string written = toXml(toJson(original));
  EXPECT_EQ(canonical(written), canonical(original));
}

TEST_P(DomainXmlGolden, JsonRoundTripIsEqual) {
  const ordered_json json = toJson(xml());
  const ordered_json again = toJson(toXml(json));
  EXPECT_EQ(again.dump(2), json.dump(2));
}

TEST_P(DomainXmlGolden, SurvivesApiServerKeySorting) {
  // The API server (Go maps) returns objects with sorted keys; the document written from them
  // orders distinct elements differently but must carry the same JSON.
  const ordered_json json = toJson(xml());
  const nlohmann::json sorted = nlohmann::json::parse(json.dump());
  auto written = jsonToDomainXml(sorted);
  ASSERT_TRUE(written.has_value()) << written.error().message;
  const nlohmann::json again = nlohmann::json::parse(toJson(*written).dump());
  EXPECT_EQ(again.dump(2), sorted.dump(2));
}

TEST_P(DomainXmlGolden, CanonicalFormIsAFixedPoint) {
  const std::string once = canonical(xml());
  EXPECT_EQ(canonical(once), once);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, DomainXmlGolden,
                         ::testing::Values("test-driver", "test-driver-snapshot", "kvm-devices",
                                           "qemu-commandline", "edge-values"),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           std::erase(name, '-');
                           return name;
                         });

TEST(DomainXmlToJson, TestDriverDomainHasUpstreamShape) {
  const ordered_json json = toJson(readFixture("test-driver.xml"));
  const ordered_json& domain = json.at("domain");
  // The printer columns of the VirtualMachine CRD.
  EXPECT_EQ(domain.at("uuid").at("text"), "6695eb01-f6a4-8304-79aa-97f2502e193f");
  EXPECT_EQ(domain.at("_type"), "test");
  ASSERT_TRUE(domain.at("vcpu").at("text").is_number_integer());
  EXPECT_EQ(domain.at("vcpu").at("text"), 2);
  ASSERT_TRUE(domain.at("currentMemory").at("text").is_number_integer());
  EXPECT_EQ(domain.at("currentMemory").at("text"), 2097152);
  EXPECT_EQ(domain.at("currentMemory").at("_unit"), "KiB");
  EXPECT_EQ(domain.at("_id"), 1);
  // Forced arrays even with one element; elements not on the list stay objects.
  ASSERT_TRUE(domain.at("os").at("boot").is_array());
  EXPECT_EQ(domain.at("os").at("boot").at(0).at("_dev"), "hd");
  const ordered_json& devices = domain.at("devices");
  ASSERT_TRUE(devices.at("disk").is_array());
  ASSERT_TRUE(devices.at("_interface").is_array());
  EXPECT_FALSE(devices.contains("interface"));
  EXPECT_EQ(devices.at("_interface").at(0).at("source").at("_network"), "default");
  EXPECT_TRUE(devices.at("memballoon").is_object());
  EXPECT_EQ(devices.at("disk").at(0).at("address").at("_domain"), "0x0000");
  EXPECT_EQ(domain.at("on_poweroff").at("text"), "destroy");
  EXPECT_EQ(domain.at("clock"), ordered_json({{"_offset", "utc"}}));
}

TEST(DomainXmlToJson, SnapshotUsesSnapshotArrayPaths) {
  const ordered_json json = toJson(readFixture("test-driver-snapshot.xml"));
  const ordered_json& snapshot = json.at("domainsnapshot");
  ASSERT_TRUE(snapshot.at("disks").at("disk").is_array());
  EXPECT_EQ(snapshot.at("disks").at("disk").at(0).at("_snapshot"), "internal");
  EXPECT_TRUE(snapshot.at("creationTime").at("text").is_number_integer());
  ASSERT_TRUE(snapshot.at("domain").at("devices").at("_interface").is_array());
  ASSERT_TRUE(snapshot.at("domain").at("os").at("boot").is_array());
  EXPECT_EQ(snapshot.at("memory"), ordered_json({{"_snapshot", "internal"}}));
}

TEST(DomainXmlToJson, KvmDevicesKeepTheirShapeAndValues) {
  const ordered_json json = toJson(readFixture("kvm-devices.xml"));
  const ordered_json& domain = json.at("domain");
  const ordered_json& devices = domain.at("devices");
  const ordered_json& serial = devices.at("disk").at(0).at("serial").at("text");
  ASSERT_TRUE(serial.is_string());
  EXPECT_EQ(serial, "0012");
  EXPECT_EQ(devices.at("disk").size(), 3U);
  EXPECT_EQ(devices.at("disk").at(1).at("_transient"), ordered_json::object());
  EXPECT_EQ(devices.at("disk").at(2).at("readonly"), ordered_json::object());
  EXPECT_EQ(devices.at("_interface").size(), 3U);
  EXPECT_EQ(devices.at("_interface").at(2).at("_type"), "user");
  const ordered_json& graphics = devices.at("graphics");
  ASSERT_EQ(graphics.size(), 2U);
  EXPECT_EQ(graphics.at(0).at("_port"), 5900);
  EXPECT_EQ(graphics.at(0).at("_listen"), "0.0.0.0");
  EXPECT_EQ(graphics.at(1).at("listen").at("_address"), "127.0.0.1");
  ASSERT_TRUE(devices.at("hostdev").is_array());
  EXPECT_EQ(devices.at("hostdev").at(0).at("source").at("address").at("_bus"), "0x3b");
  const ordered_json& cputune = domain.at("cputune");
  EXPECT_EQ(cputune.at("vcpupin").size(), 4U);
  EXPECT_TRUE(cputune.at("emulatorpin").is_object());
  EXPECT_EQ(cputune.at("quota").at("text"), -1);
  EXPECT_TRUE(domain.at("numatune").at("memnode").is_array());
  EXPECT_TRUE(domain.at("memoryBacking").at("hugepages").at("page").is_array());
  EXPECT_EQ(domain.at("pm").at("suspend_to_mem").at("_enabled"), "no");
  EXPECT_EQ(domain.at("seclabel").at(0).at("label").at("text"), "+107:+107");
  EXPECT_EQ(domain.at("vcpu").at("_cpuset"), "0-3");
  // `boot` is a forced array whose elements are contiguous: no `#order` needed.
  EXPECT_FALSE(domain.at("os").contains("#order"));
}

TEST(DomainXmlToJson, QemuNamespaceIsKeptAsPlainNames) {
  const ordered_json json = toJson(readFixture("qemu-commandline.xml"));
  const ordered_json& domain = json.at("domain");
  EXPECT_EQ(domain.at("_xmlns:qemu"), "http://libvirt.org/schemas/domain/qemu/1.0");
  const ordered_json& args = domain.at("qemu:commandline").at("qemu:arg");
  ASSERT_EQ(args.size(), 2U);
  EXPECT_EQ(args.at(1).at("_value"), "name=opt/com.example/config,string=1");
  EXPECT_EQ(domain.at("qemu:commandline").at("qemu:env").at("_value"), 6);
  const ordered_json& app = domain.at("metadata").at("app:placement");
  EXPECT_EQ(app.at("_xmlns:app"), "http://example.org/univirt/app/1");
  EXPECT_EQ(app.at("app:tag").size(), 2U);
  EXPECT_EQ(domain.at("memory"), ordered_json({{"_unit", "GiB"}, {"text", 16}}));
}

// The values a careless converter loses, checked one by one after XML -> JSON -> XML -> JSON
// (the golden and round-trip tests above catch them too, but name nothing).
TEST(DomainXmlEdgeValues, SurviveARoundTripUnchanged) {
  const std::string written = toXml(toJson(readFixture("edge-values.xml")));
  const ordered_json json = toJson(written);
  const auto at = [&json](const char* pointer) {
    return json.at(ordered_json::json_pointer(pointer));
  };
  EXPECT_EQ(at("/domain/devices/disk/0/serial/text"), "0012");
  EXPECT_EQ(at("/domain/devices/disk/0/wwn/text"), "0x5000c50015ea71ac");
  EXPECT_EQ(at("/domain/devices/disk/0/source/_file"), "/var/lib/libvirt/images/edge & more.qcow2");
  EXPECT_EQ(at("/domain/devices/_interface/0/target/_dev"), "tap-ünï");
  EXPECT_EQ(at("/domain/vcpu/text"), "+5");
  EXPECT_EQ(at("/domain/title/text"), "Tom & Jerry <test> \"quotes\" 'apos'");
  EXPECT_EQ(at("/domain/description"),
            ordered_json::parse(R"({"text":"a","b":{},"#tails":["c"]})"));
  EXPECT_EQ(at("/domain/os/#order"), ordered_json({"type", "boot", "bootmenu", "boot"}));
  EXPECT_TRUE(at("/domain/features").contains("nested_hv"));

  const ordered_json& numbers = at("/domain/metadata/edge:values/edge:numbers");
  const std::pair<const char*, const char*> strings[] = {{"_exp", "1e3"},
                                                         {"_nan", "nan"},
                                                         {"_inf", "inf"},
                                                         {"_plus", "+5"},
                                                         {"_negzero", "-0"},
                                                         {"_hex", "0x10"},
                                                         {"_trailing", "1.50"},
                                                         {"_over", "9223372036854775808"},
                                                         {"_unsigned", "18446744073709551615"},
                                                         {"_one", "1.0"},
                                                         {"_long", "0.1000000000000000000001"},
                                                         {"_spaced", " 7"},
                                                         {"_dot", "5."},
                                                         {"_yes", "yes"},
                                                         {"_true", "true"},
                                                         {"_empty", ""}};
  for (const auto& [key, value] : strings) {
    EXPECT_EQ(numbers.at(key), value) << key;
  }
  EXPECT_TRUE(numbers.at("_pi").is_number_float());
  EXPECT_EQ(numbers.at("_pi"), 3.14);
  EXPECT_EQ(numbers.at("_sum").dump(), "0.30000000000000004");
  EXPECT_EQ(numbers.at("_neg"), -42);
  EXPECT_EQ(numbers.at("_max"), INT64_MAX);
  EXPECT_EQ(numbers.at("_min"), INT64_MIN);

  const ordered_json& values = at("/domain/metadata/edge:values");
  EXPECT_EQ(values.at("edge:serial").at("text"), "0012");
  EXPECT_EQ(values.at("edge:exponent").at("text"), "1e3");
  EXPECT_EQ(values.at("edge:nan").at("text"), "nan");
  EXPECT_EQ(values.at("edge:float").at("text"), 3.14);
  EXPECT_EQ(values.at("edge:empty"), ordered_json::object());
  EXPECT_EQ(values.at("edge:emptypair"), ordered_json::object());
  EXPECT_EQ(values.at("edge:space").at("text"), " ");
  EXPECT_EQ(values.at("edge:padded").at("text"), "  padded text  ");
  EXPECT_EQ(values.at("edge:escaped").at("_attr"), "& < > \"quotes\" 'apos'");
  EXPECT_EQ(values.at("edge:escaped").at("_tab"), "a\tb");
  EXPECT_EQ(values.at("edge:escaped").at("_newline"), "line1\nline2");
  EXPECT_EQ(values.at("edge:escaped").at("_cr"), "x\ry");
  EXPECT_EQ(values.at("edge:cdata").at("text"), "<not-an-element> & raw");
  EXPECT_EQ(values.at("edge:utf8").at("_name"), "Grüße 世界 🙂");
  EXPECT_EQ(values.at("edge:mixed").at("#tails"), ordered_json({" tail one ", "tail two"}));
  EXPECT_EQ(values.at("#text").at("text"), "an element named text");
  EXPECT_EQ(values.at("slot").at("__interface"), "eth0");
  EXPECT_EQ(values.at("_interface").at("text"), "an interface element somewhere else");

  // And the XML text itself carries the digits as written.
  for (const char* fragment : {"<serial>0012</serial>", "exp=\"1e3\"", "negzero=\"-0\"",
                               "trailing=\"1.50\"", "pi=\"3.14\"", "<edge:space> </edge:space>",
                               "<description>a<b/>c</description>", "<nested-hv state=\"on\"/>",
                               // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one literal
                               "<slot interface=\"eth0\" transient=\"yes\" nested-hv=\"on\" "
                               "_interface=\"x\" text=\"t\"/>"}) {
    EXPECT_NE(written.find(fragment), std::string::npos) << fragment << " missing in\n" << written;
  }
}

}  // namespace
}  // namespace univirt::virt
