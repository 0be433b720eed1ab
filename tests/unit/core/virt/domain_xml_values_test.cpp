#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "core/virt/domain_xml.h"

// Rule-by-rule tests of the converter: numbers, names, escaping, order, malformed input.

namespace univirt::virt {
namespace {

using nlohmann::ordered_json;
using util::ErrorCode;

ordered_json toJson(std::string_view xml, const ArrayPaths& paths = upstreamArrayPaths()) {
  auto json = domainXmlToJson(xml, paths);
  EXPECT_TRUE(json.has_value()) << json.error().message;
  return json.has_value() ? *json : ordered_json();
}

std::string toXml(const ordered_json& json) {
  auto xml = jsonToDomainXml(json);
  EXPECT_TRUE(xml.has_value()) << xml.error().message;
  return xml.has_value() ? *xml : std::string();
}

std::string canonical(std::string_view xml) {
  auto text = canonicalizeXml(xml);
  EXPECT_TRUE(text.has_value()) << text.error().message;
  return text.has_value() ? *text : std::string();
}

// The JSON value attribute `a` of <r a='...'/> becomes.
ordered_json attributeValue(std::string_view value) {
  std::string xml = "<r a=\"";
  xml += value;
  xml += "\"/>";
  return toJson(xml).at("r").at("_a");
}

void expectRoundTrip(std::string_view xml) {
  EXPECT_EQ(canonical(toXml(toJson(xml))), canonical(xml)) << xml;
}

std::string errorOf(const ordered_json& json) {
  auto xml = jsonToDomainXml(json);
  EXPECT_FALSE(xml.has_value()) << "wrote " << (xml.has_value() ? *xml : "");
  if (xml.has_value()) {
    return {};
  }
  EXPECT_EQ(xml.error().code, ErrorCode::InvalidArgument);
  return xml.error().message;
}

TEST(DomainXmlScalars, IntegersOnlyInCanonicalDecimalForm) {
  EXPECT_EQ(attributeValue("0"), 0);
  EXPECT_EQ(attributeValue("42"), 42);
  EXPECT_EQ(attributeValue("-42"), -42);
  EXPECT_EQ(attributeValue("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(attributeValue("-9223372036854775808"), INT64_MIN);
  EXPECT_TRUE(attributeValue("42").is_number_integer());
  for (std::string_view text : {"0012", "+5", "-0", "0x10", "1e3", " 7", "7 ", "", "1_000", "-",
                                "9223372036854775808", "-9223372036854775809", "00"}) {
    const ordered_json value = attributeValue(text);
    EXPECT_TRUE(value.is_string()) << "'" << text << "' became " << value.dump();
    EXPECT_EQ(value, std::string(text));
  }
}

TEST(DomainXmlScalars, FloatsOnlyWhenTheEncoderWritesTheSameDigits) {
  for (std::string_view text : {"3.14", "0.1", "-0.5", "0.30000000000000004", "1048576.25"}) {
    const ordered_json value = attributeValue(text);
    EXPECT_TRUE(value.is_number_float()) << "'" << text << "' became " << value.dump();
    EXPECT_EQ(value.dump(), text);
  }
  for (std::string_view text :
       {"1.50", "1.0", "5.", ".5", "1.2e3", "0.1000000000000000000001", "123456789012345678.5",
        "nan", "NaN", "inf", "-inf", "Infinity", "-0.0", "01.5"}) {
    const ordered_json value = attributeValue(text);
    EXPECT_TRUE(value.is_string()) << "'" << text << "' became " << value.dump();
  }
}

TEST(DomainXmlScalars, WordsStayStrings) {
  for (std::string_view text : {"true", "false", "yes", "no", "null", "on"}) {
    EXPECT_EQ(attributeValue(text), std::string(text));
  }
}

TEST(DomainXmlScalars, TextFollowsTheSameRules) {
  const ordered_json json = toJson("<r><a>0012</a><b>12</b><c>2.5</c><d>2.50</d></r>");
  EXPECT_EQ(json.at("r").at("a").at("text"), "0012");
  EXPECT_EQ(json.at("r").at("b").at("text"), 12);
  EXPECT_EQ(json.at("r").at("c").at("text"), 2.5);
  EXPECT_EQ(json.at("r").at("d").at("text"), "2.50");
}

TEST(DomainXmlNames, RenamesNamesStructurallyAndLeavesValuesAlone) {
  const std::string xml =
      "<domain><devices><interface type='bridge'><source bridge='interface'/></interface>"
      "</devices><pm><suspend-to-mem enabled='no'/></pm><features><nested-hv/></features>"
      "<description>interface transient nested-hv text _x</description></domain>";
  const ordered_json json = toJson(xml);
  const ordered_json& domain = json.at("domain");
  EXPECT_EQ(domain.at("devices").at("_interface").at(0).at("source").at("_bridge"), "interface");
  EXPECT_TRUE(domain.at("pm").contains("suspend_to_mem"));
  EXPECT_TRUE(domain.at("features").contains("nested_hv"));
  EXPECT_EQ(domain.at("description").at("text"), "interface transient nested-hv text _x");
  const std::string written = toXml(json);
  EXPECT_NE(written.find("<interface type=\"bridge\">"), std::string::npos) << written;
  EXPECT_NE(written.find("<suspend-to-mem enabled=\"no\"/>"), std::string::npos) << written;
  EXPECT_NE(written.find("<nested-hv/>"), std::string::npos) << written;
  EXPECT_NE(written.find(">interface transient nested-hv text _x<"), std::string::npos);
  expectRoundTrip(xml);
}

TEST(DomainXmlNames, EscapesNamesThatWouldBeAmbiguous) {
  const std::string xml =
      "<r interface='a' _interface='b' transient='c' nested_hv='d' nested-hv='e' _x='f' "
      "text='g'><text/><_x/><nested_hv/><suspend_to_disk/><interface/><transient/></r>";
  const ordered_json json = toJson(xml, ArrayPaths());
  const std::vector<std::string> keys = {
      "__interface", "_#_interface", "__transient", "_#nested_hv", "_nested_hv",       "__x",
      "_text",       "#text",        "#_x",         "#nested_hv",  "#suspend_to_disk", "_interface",
      "_transient"};
  std::vector<std::string> actual;
  for (const auto& item : json.at("r").items()) {
    actual.push_back(item.key());
  }
  EXPECT_EQ(actual, keys);
  expectRoundTrip(xml);
}

TEST(DomainXmlToJson, KeepsOrderOnlyWhenSiblingsInterleave) {
  EXPECT_FALSE(toJson("<r><a/><a/><b/></r>").at("r").contains("#order"));
  const ordered_json interleaved = toJson("<r><a/><b/><a/></r>");
  EXPECT_EQ(interleaved.at("r").at("#order"), ordered_json({"a", "b", "a"}));
  EXPECT_EQ(interleaved.at("r").at("a").size(), 2U);
  expectRoundTrip("<r><a n='1'/><b/><a n='2'/><c/><b/></r>");
}

TEST(DomainXmlToJson, KeepsMixedContent) {
  const ordered_json json = toJson("<description>a<b/>c</description>");
  EXPECT_EQ(json, ordered_json::parse(R"({"description":{"text":"a","b":{},"#tails":["c"]}})"));
  expectRoundTrip("<p>lead <b>bold</b> middle <i>it</i> end</p>");
  expectRoundTrip("<p><b/><i/>only the last</p>");
  EXPECT_EQ(toXml(toJson("<p><b/>x<i/>y<b/></p>")), "<p><b/>x<i/>y<b/></p>\n");
}

TEST(DomainXmlToJson, KeepsWhitespaceOnlyLeafTextButNotIndentation) {
  const ordered_json json = toJson("<r>\n  <a> </a>\n  <b>\n</b>\n  <c>  x  </c>\n</r>");
  EXPECT_EQ(json, ordered_json::parse(
                      R"({"r":{"a":{"text":" "},"b":{"text":"\n"},"c":{"text":"  x  "}}})"));
}

TEST(DomainXmlToJson, TreatsWhitespaceOnlyCdataLikeWhitespace) {
  EXPECT_EQ(toJson("<a><![CDATA[ ]]><b/><![CDATA[\n]]></a>"),
            ordered_json::parse(R"({"a":{"b":{}}})"));
  EXPECT_EQ(toJson("<a><![CDATA[ ]]></a>"), ordered_json::parse(R"({"a":{"text":" "}})"));
  expectRoundTrip("<a><![CDATA[ ]]><b/><![CDATA[  ]]><c/>x</a>");
}

TEST(DomainXmlToJson, MergesCdataAndTextAroundComments) {
  const ordered_json json = toJson("<r>a<![CDATA[<b> & ]]>c<!-- gone -->d</r>");
  EXPECT_EQ(json.at("r").at("text"), "a<b> & cd");
  expectRoundTrip("<r>a<![CDATA[<b> & ]]>c<!-- gone -->d</r>");
}

TEST(DomainXmlToJson, ForcesConfiguredArrayPaths) {
  const std::string_view paths[] = {"r-a", "r-b-c"};
  const ArrayPaths custom(paths);
  const ordered_json json = toJson("<r><a/><b><c/></b><d/></r>", custom);
  EXPECT_TRUE(json.at("r").at("a").is_array());
  EXPECT_TRUE(json.at("r").at("b").is_object());
  EXPECT_TRUE(json.at("r").at("b").at("c").is_array());
  EXPECT_TRUE(json.at("r").at("d").is_object());
  EXPECT_TRUE(toJson("<r><a/></r>", ArrayPaths()).at("r").at("a").is_object());
}

TEST(DomainXmlToJson, ForcesPathsBelowRepeatedParents) {
  const std::string_view paths[] = {"r-p-c"};
  const ArrayPaths custom(paths);
  const ordered_json json = toJson("<r><p><c/></p><p><c/></p></r>", custom);
  EXPECT_TRUE(json.at("r").at("p").at(0).at("c").is_array());
  EXPECT_TRUE(json.at("r").at("p").at(1).at("c").is_array());
}

TEST(DomainXmlToJson, RejectsInputThatIsNoSingleXmlDocument) {
  for (std::string_view xml :
       {"", "<domain>", "<a/><b/>", "<a/>junk", "not xml", "<a x='1' x='2'/>", "<a><b></a>"}) {
    auto json = domainXmlToJson(xml);
    ASSERT_FALSE(json.has_value()) << xml;
    EXPECT_EQ(json.error().code, ErrorCode::InvalidArgument) << xml;
  }
}

TEST(DomainXmlToJson, RejectsExcessiveNesting) {
  std::string xml;
  for (int i = 0; i < 300; ++i) {
    xml += "<a>";
  }
  for (int i = 0; i < 300; ++i) {
    xml += "</a>";
  }
  auto json = domainXmlToJson(xml);
  ASSERT_FALSE(json.has_value());
  EXPECT_NE(json.error().message.find("deeper than 256"), std::string::npos);
}

TEST(ArrayPaths, FromConfigSkipsBlankAndCommentLines) {
  const ArrayPaths paths = ArrayPaths::fromConfig("# list\n\n  r-a \r\nr-b\n");
  const ArrayPaths::NodeId r = paths.child(paths.root(), "r");
  EXPECT_FALSE(paths.isArray(r));
  EXPECT_TRUE(paths.isArray(paths.child(r, "a")));
  EXPECT_TRUE(paths.isArray(paths.child(r, "b")));
  EXPECT_FALSE(paths.isArray(paths.child(r, "c")));
  EXPECT_EQ(paths.child(paths.child(r, "c"), "d"), ArrayPaths::kNoNode);
}

TEST(ArrayPaths, UpstreamListCoversDomainAndSnapshot) {
  const ArrayPaths& paths = upstreamArrayPaths();
  const auto walk = [&paths](const std::vector<std::string_view>& keys) {
    ArrayPaths::NodeId node = paths.root();
    for (std::string_view key : keys) {
      node = paths.child(node, key);
    }
    return paths.isArray(node);
  };
  EXPECT_TRUE(walk({"domain", "devices", "_interface"}));
  EXPECT_TRUE(walk({"domain", "os", "boot"}));
  EXPECT_TRUE(walk({"domain", "cputune", "vcpupin"}));
  EXPECT_TRUE(walk({"domainsnapshot", "disks", "disk"}));
  EXPECT_TRUE(walk({"domainsnapshot", "domain", "devices", "hostdev"}));
  EXPECT_FALSE(walk({"domain", "devices"}));
  EXPECT_FALSE(walk({"domain", "devices", "interface"}));
  EXPECT_FALSE(walk({"domain", "devices", "emulator"}));
}

TEST(JsonToDomainXml, WritesIndentedXmlWithScalarsAsText) {
  const ordered_json json =
      ordered_json::parse(R"({"r":{"_a":"x","name":"vm1","count":3,"none":null,"blank":"","e":{},)"
                          R"("t":{"_u":"KiB","text":2}}})");
  EXPECT_EQ(toXml(json),
            "<r a=\"x\">\n  <name>vm1</name>\n  <count>3</count>\n  <none/>\n  <blank/>\n"
            "  <e/>\n  <t u=\"KiB\">2</t>\n</r>\n");
}

TEST(JsonToDomainXml, WritesNumbersInTheirDigitsAndBooleansAsWords) {
  ordered_json json = ordered_json::parse(
      R"({"r":{"_f":3.14,"_i":-7,"_big":18446744073709551615,"_on":true,"text":0.30000000000000004}})");
  EXPECT_TRUE(json.at("r").at("_big").is_number_unsigned());
  EXPECT_EQ(toXml(json),
            "<r f=\"3.14\" i=\"-7\" big=\"18446744073709551615\" on=\"true\">0.30000000000000004"
            "</r>\n");
  EXPECT_EQ(toXml(ordered_json::parse(R"({"r":{"text":false}})")), "<r>false</r>\n");
}

TEST(JsonToDomainXml, EscapesTextAndAttributes) {
  const std::string tricky = "& < > \" ' \t\n\r\x01 ü";
  const ordered_json json = {{"r", {{"_a", tricky}, {"text", tricky}}}};
  const std::string xml = toXml(json);
  EXPECT_EQ(xml,
            "<r a=\"&amp; &lt; &gt; &quot; ' &#x9;&#xA;&#xD;&#x1; ü\">"
            "&amp; &lt; &gt; \" ' \t\n&#xD;&#x1; ü</r>\n");
  EXPECT_EQ(toJson(xml), json);
}

TEST(JsonToDomainXml, FollowsOrderAndToleratesAStaleOne) {
  const ordered_json json =
      ordered_json::parse(R"({"os":{"boot":[{"_dev":"hd"},{"_dev":"cdrom"}],"bootmenu":{},)"
                          R"("#order":["boot","bootmenu","boot"]}})");
  EXPECT_EQ(toXml(json),
            "<os>\n  <boot dev=\"hd\"/>\n  <bootmenu/>\n  <boot dev=\"cdrom\"/>\n</os>\n");
  // A boot added after the order was taken goes last; entries beyond what a key holds are
  // skipped.
  const ordered_json stale = ordered_json::parse(
      R"({"os":{"boot":[{"_dev":"hd"},{"_dev":"cdrom"},{"_dev":"network"}],"bootmenu":{},)"
      R"("loader":{},"#order":["boot","bootmenu","bootmenu","boot"]}})");
  EXPECT_EQ(toXml(stale),
            "<os>\n  <boot dev=\"hd\"/>\n  <bootmenu/>\n  <boot dev=\"cdrom\"/>\n"
            "  <boot dev=\"network\"/>\n  <loader/>\n</os>\n");
}

TEST(JsonToDomainXml, NamesTheJsonPathOfMalformedShapes) {
  EXPECT_EQ(errorOf(ordered_json::parse(R"({"domain":{"devices":{"disk":[[{}]]}}})")),
            "/domain/devices/disk/0: expected an object, got an array inside an array");
  EXPECT_EQ(errorOf(ordered_json::parse(R"({"domain":{"_type":{"x":1}}})")),
            "/domain/_type: expected a string or number as attribute value");
  EXPECT_EQ(errorOf(ordered_json::parse(R"({"domain":{"name":{"text":["a"]}}})")),
            "/domain/name/text: expected a string or number as element text");
  EXPECT_EQ(errorOf(ordered_json::parse(R"({"domain":{"a/b~c":{}}})")),
            "/domain/a~1b~0c: key decodes to 'a/b~c', which is no XML name");
  EXPECT_EQ(errorOf(ordered_json::parse(R"({"domain":{"@type":"kvm"}})")),
            "/domain/@type: key decodes to '@type', which is no XML name");
  EXPECT_EQ(errorOf(ordered_json::parse(R"({"r":{"a":{},"#order":["a","zz"]}})")),
            "/r/#order/1: expected the key of a child element of this object");
  EXPECT_EQ(errorOf(ordered_json::parse(R"({"r":{"a":{},"#tails":["x","y"]}})")),
            "/r/#tails: has 2 entries but the element has 1 child elements");
  EXPECT_EQ(errorOf(ordered_json::parse(R"({"r":{"a":{},"#tails":[1]}})")),
            "/r/#tails/0: expected a string");
}

TEST(JsonToDomainXml, RejectsKeysThatAreNotTheCanonicalSpelling) {
  // Each would decode to a name, but would not come back as the same key (or would name one
  // attribute twice).
  EXPECT_EQ(errorOf(ordered_json::parse(R"({"r":{"_x":"1","_#x":"2"}})")),
            "/r/_#x: write the key of attribute 'x' as '_x'");
  EXPECT_EQ(errorOf(ordered_json::parse(R"({"r":{"_nested-hv":"on"}})")),
            "/r/_nested-hv: write the key of attribute 'nested-hv' as '_nested_hv'");
  EXPECT_EQ(errorOf(ordered_json::parse(R"({"r":{"devices":{"interface":[{}]}}})")),
            "/r/devices/interface: write the key of element 'interface' as '_interface'");
  EXPECT_EQ(errorOf(ordered_json::parse(R"({"r":{"nested-hv":{}}})")),
            "/r/nested-hv: write the key of element 'nested-hv' as 'nested_hv'");
  EXPECT_EQ(errorOf(ordered_json::parse(R"({"r":{"#name":{}}})")),
            "/r/#name: write the key of element 'name' as 'name'");
  EXPECT_EQ(errorOf(ordered_json::parse(R"({"interface":{}})")),
            "/interface: write the key of element 'interface' as '_interface'");
}

TEST(JsonToDomainXml, RejectsDocumentsWithoutOneRoot) {
  const std::string expected = "/: expected an object with exactly one key, the root element";
  EXPECT_EQ(errorOf(ordered_json::object()), expected);
  EXPECT_EQ(errorOf(ordered_json::parse(R"({"a":{},"b":{}})")), expected);
  EXPECT_EQ(errorOf(ordered_json("domain")), expected);
  EXPECT_EQ(errorOf(ordered_json::parse(R"({"domain":[{},{}]})")),
            "/domain: expected an object, got an array (XML has one root element)");
  EXPECT_EQ(errorOf(ordered_json::parse(R"({"_type":{}})")),
            "/_type: expected the key of the root element");
}

TEST(JsonToDomainXml, AcceptsSortedJsonFromTheApiServer) {
  const nlohmann::json sorted = nlohmann::json::parse(
      R"({"domain":{"_type":"kvm","name":{"text":"vm1"},"devices":{"_interface":[{"_type":"user"}],)"
      R"("disk":[{"_device":"disk"},{"_device":"cdrom"}]}}})");
  auto xml = jsonToDomainXml(sorted);
  ASSERT_TRUE(xml.has_value()) << xml.error().message;
  EXPECT_EQ(*xml,
            "<domain type=\"kvm\">\n  <devices>\n    <interface type=\"user\"/>\n"
            "    <disk device=\"disk\"/>\n    <disk device=\"cdrom\"/>\n  </devices>\n"
            "  <name>vm1</name>\n</domain>\n");
}

TEST(CanonicalizeXml, DropsCommentsDeclarationAndIndentation) {
  EXPECT_EQ(canonical("<?xml version='1.0'?>\n<!-- c --><r  b='1' a=\"2\">\n\t<x>t</x><!-- c -->"
                      "<y><![CDATA[<z>]]></y>\n</r>\n"),
            "<r b=\"1\" a=\"2\">\n  <x>t</x>\n  <y>&lt;z&gt;</y>\n</r>\n");
}

TEST(CanonicalizeXml, KeepsElementOrderAndWritesMixedContentInline) {
  EXPECT_EQ(canonical("<r><b/><a/><b/></r>"), "<r>\n  <b/>\n  <a/>\n  <b/>\n</r>\n");
  EXPECT_EQ(canonical("<p>a <b> x </b> c</p>"), "<p>a <b> x </b> c</p>\n");
}

TEST(CanonicalizeXml, RejectsMalformedXml) {
  auto text = canonicalizeXml("<r>");
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().code, ErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace univirt::virt
