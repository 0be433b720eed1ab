#include <cstdlib>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <libvirt/libvirt.h>

#include "core/virt/domain_xml.h"

// The converter on what libvirt itself writes: the `test` domain of the test driver
// (test:///default), read with virDomainGetXMLDesc as the daemons read every domain.

namespace univirt::virt {
namespace {

using nlohmann::ordered_json;

struct ConnectionCloser {
  void operator()(virConnectPtr conn) const { virConnectClose(conn); }
};
struct DomainFreer {
  void operator()(virDomainPtr dom) const { virDomainFree(dom); }
};
using ConnectionPtr = std::unique_ptr<virConnect, ConnectionCloser>;
using DomainPtr = std::unique_ptr<virDomain, DomainFreer>;

std::string liveXml(const char* domain_name, unsigned flags) {
  ConnectionPtr conn(virConnectOpen("test:///default"));
  EXPECT_NE(conn, nullptr) << "cannot open test:///default";
  if (!conn) {
    return {};
  }
  DomainPtr dom(virDomainLookupByName(conn.get(), domain_name));
  EXPECT_NE(dom, nullptr) << "test driver has no domain " << domain_name;
  if (!dom) {
    return {};
  }
  std::unique_ptr<char, decltype(&std::free)> xml(virDomainGetXMLDesc(dom.get(), flags),
                                                  &std::free);
  EXPECT_NE(xml, nullptr);
  return xml ? std::string(xml.get()) : std::string();
}

TEST(DomainXmlLibvirt, TestDriverDomainHasUpstreamShape) {
  const std::string xml = liveXml("test", 0);
  auto json = domainXmlToJson(xml);
  ASSERT_TRUE(json.has_value()) << json.error().message;
  // The printer-column paths of the VirtualMachine CRD resolve, with the upstream types.
  const ordered_json& domain = json->at("domain");
  EXPECT_TRUE(domain.at("uuid").at("text").is_string());
  EXPECT_EQ(domain.at("_type"), "test");
  EXPECT_TRUE(domain.at("vcpu").at("text").is_number_integer());
  EXPECT_TRUE(domain.at("currentMemory").at("text").is_number_integer());
  EXPECT_EQ(domain.at("name").at("text"), "test");
  EXPECT_TRUE(domain.at("devices").at("disk").is_array());
  EXPECT_TRUE(domain.at("devices").at("_interface").is_array());
  EXPECT_TRUE(domain.at("os").at("boot").is_array());
}

TEST(DomainXmlLibvirt, TestDriverXmlRoundTrips) {
  for (unsigned flags : {0U, static_cast<unsigned>(VIR_DOMAIN_XML_INACTIVE)}) {
    const std::string xml = liveXml("test", flags);
    auto json = domainXmlToJson(xml);
    ASSERT_TRUE(json.has_value()) << json.error().message;
    auto written = jsonToDomainXml(*json);
    ASSERT_TRUE(written.has_value()) << written.error().message;
    auto expected = canonicalizeXml(xml);
    auto actual = canonicalizeXml(*written);
    ASSERT_TRUE(expected.has_value() && actual.has_value());
    EXPECT_EQ(*actual, *expected) << "flags " << flags;
  }
}

TEST(DomainXmlLibvirt, TestDriverAcceptsTheWrittenXml) {
  // libvirt itself parses what we write back: define a copy under a new name and read it.
  ConnectionPtr conn(virConnectOpen("test:///default"));
  ASSERT_NE(conn, nullptr);
  DomainPtr dom(virDomainLookupByName(conn.get(), "test"));
  ASSERT_NE(dom, nullptr);
  std::unique_ptr<char, decltype(&std::free)> xml(
      virDomainGetXMLDesc(dom.get(), VIR_DOMAIN_XML_INACTIVE), &std::free);
  ASSERT_NE(xml, nullptr);
  auto json = domainXmlToJson(xml.get());
  ASSERT_TRUE(json.has_value()) << json.error().message;
  ordered_json& domain = json->at("domain");
  domain["name"]["text"] = "test-copy";
  domain.erase("uuid");
  domain.at("devices").at("_interface").at(0).at("mac").at("_address") = "aa:bb:cc:dd:ee:01";
  // Sorted keys, as the API server hands them back.
  auto written = jsonToDomainXml(nlohmann::json::parse(json->dump()));
  ASSERT_TRUE(written.has_value()) << written.error().message;
  DomainPtr copy(virDomainDefineXML(conn.get(), written->c_str()));
  ASSERT_NE(copy, nullptr) << "libvirt rejected:\n" << *written;
  std::unique_ptr<char, decltype(&std::free)> copy_xml(virDomainGetXMLDesc(copy.get(), 0),
                                                       &std::free);
  ASSERT_NE(copy_xml, nullptr);
  auto copy_json = domainXmlToJson(copy_xml.get());
  ASSERT_TRUE(copy_json.has_value());
  EXPECT_EQ(copy_json->at("domain").at("name").at("text"), "test-copy");
  EXPECT_EQ(copy_json->at("domain").at("vcpu"), domain.at("vcpu"));
  EXPECT_EQ(copy_json->at("domain").at("devices").at("disk"), domain.at("devices").at("disk"));
}

}  // namespace
}  // namespace univirt::virt
