// Parameter values through OperationTable::validate, one table per ParamType, plus the path
// and number helpers of detail/param_value.h.

#include "core/lifecycle/detail/param_value.h"

#include <cstdint>
#include <filesystem>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "core/lifecycle/operation_table.h"
#include "unit/core/lifecycle/test_table.h"

namespace univirt::lifecycle {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

struct Checked {
  std::optional<ParamValue> value;  // set when accepted
  std::string message;              // set when refused
};

// Validates createAndStartVMFromISO with memory 64 and `param` = `value`.
Checked check(const std::string& param, const json& value,
              const ValidationContext& context = testing::testContext()) {
  static const OperationTable kTable = testing::makeTestTable();
  json lifecycle = {{"createAndStartVMFromISO", {{"memory", 64}}}};
  lifecycle["createAndStartVMFromISO"][param] = value;
  auto request = kTable.validate("VirtualMachine", "vm1", lifecycle, context);
  if (!request) {
    return {std::nullopt, request.error().message};
  }
  return {*request->params.find(param), ""};
}

struct Accepted {
  json input;
  ParamValue stored;
};

void expectAccepted(const std::string& param, const std::vector<Accepted>& cases) {
  for (const auto& [input, stored] : cases) {
    const Checked result = check(param, input);
    ASSERT_TRUE(result.value.has_value()) << input.dump() << ": " << result.message;
    EXPECT_EQ(*result.value, stored) << input.dump();
  }
}

void expectRefused(const std::string& param, const std::vector<json>& inputs) {
  for (const json& input : inputs) {
    const Checked result = check(param, input);
    EXPECT_FALSE(result.value.has_value()) << input.dump();
    EXPECT_THAT(result.message, HasSubstr("spec.lifecycle.createAndStartVMFromISO." + param + ": "))
        << input.dump();
    EXPECT_EQ(result.message.find('\n'), std::string::npos) << result.message;
  }
}

constexpr auto kInt64Max = std::numeric_limits<std::int64_t>::max();

TEST(IntegerParam, AcceptsJsonIntegersAndDigitStrings) {
  expectAccepted("offset", {{1024, std::int64_t{1024}},
                            {"1024", std::int64_t{1024}},
                            {-7, std::int64_t{-7}},
                            {"-5", std::int64_t{-5}},
                            {"0010", std::int64_t{10}},
                            {"9223372036854775807", kInt64Max},
                            {static_cast<std::uint64_t>(kInt64Max), kInt64Max}});
}

TEST(IntegerParam, RefusesEverythingElse) {
  expectRefused("offset", {1.5, 1024.0, "1e3", " 12", "12 ", "+12", "12a", "", "-", "0x10", true,
                           "true", nullptr, json::object(), json::array(), "99999999999999999999",
                           std::numeric_limits<std::uint64_t>::max()});
  EXPECT_EQ(check("offset", 1.5).message,
            "spec.lifecycle.createAndStartVMFromISO.offset: expected an integer, got the number "
            "1.5");
  EXPECT_EQ(check("offset", "99999999999999999999").message,
            "spec.lifecycle.createAndStartVMFromISO.offset: '99999999999999999999' is out of "
            "range; expected an integer");
}

TEST(IntegerParam, ChecksTheRangeForNumbersAndStrings) {
  expectAccepted("vcpus", {{1, std::int64_t{1}}, {"256", std::int64_t{256}}});
  EXPECT_EQ(check("vcpus", 0).message,
            "spec.lifecycle.createAndStartVMFromISO.vcpus: 0 is out of range; expected an "
            "integer from 1 to 256");
  EXPECT_EQ(check("vcpus", "257").message,
            "spec.lifecycle.createAndStartVMFromISO.vcpus: 257 is out of range; expected an "
            "integer from 1 to 256");
  EXPECT_EQ(check("vcpus", "two").message,
            "spec.lifecycle.createAndStartVMFromISO.vcpus: expected an integer from 1 to 256, "
            "got the string 'two'");
}

TEST(BooleanParam, AcceptsBooleansAndTheirStringsInAnyCase) {
  expectAccepted("noautoconsole", {{true, true},
                                   {false, false},
                                   {"true", true},
                                   {"false", false},
                                   {"True", true},
                                   {"False", false},
                                   {"TRUE", true},
                                   {"fAlSe", false}});
}

TEST(BooleanParam, RefusesEverythingElse) {
  expectRefused("noautoconsole",
                {"yes", "no", 1, 0, "1", "", nullptr, "true ", json::object(), json::array()});
  EXPECT_EQ(check("noautoconsole", "yes").message,
            "spec.lifecycle.createAndStartVMFromISO.noautoconsole: expected a boolean (true, "
            "false, \"true\" or \"false\"), got the string 'yes'");
}

TEST(StringParam, KeepsStringsAndTheTextOfNumbersAndBooleans) {
  expectAccepted("network", {{"type=bridge,source=virbr0", "type=bridge,source=virbr0"},
                             {"", ""},
                             {"a\tb", "a\tb"},
                             {"虚拟机", "虚拟机"},
                             {5, "5"},
                             {-5, "-5"},
                             {std::numeric_limits<std::uint64_t>::max(), "18446744073709551615"},
                             {1.5, "1.5"},
                             {1e20, "100000000000000000000"},
                             {1.5e-7, "0.00000015"},
                             {-2.5e-3, "-0.0025"},
                             {true, "true"},
                             {false, "false"}});
}

TEST(StringParam, RefusesStructuresNullAndControlCharacters) {
  expectRefused("network", {nullptr, json::object(), json::array(), "a\nb", "a\rb",
                            std::string("a\0b", 3), "\x1b[31mred", "a\x7f", "a\u0085b"});
  EXPECT_EQ(check("network", "a\nb").message,
            "spec.lifecycle.createAndStartVMFromISO.network: the value 'a\\x0ab' contains the "
            "control character \\x0a; only printable text and tabs are accepted");
  EXPECT_EQ(check("network", nullptr).message,
            "spec.lifecycle.createAndStartVMFromISO.network: expected a string, got null");
}

TEST(PathParam, NormalisesPathsInsideTheRoots) {
  expectAccepted("cdrom", {{"/var/lib/libvirt/iso/a.iso", "/var/lib/libvirt/iso/a.iso"},
                           {"/var/lib/libvirt//iso/./a.iso/", "/var/lib/libvirt/iso/a.iso"},
                           {"/var/lib/libvirt", "/var/lib/libvirt"},
                           {"/mnt/usb", "/mnt/usb"},
                           {"/mnt/usb/disk.qcow2", "/mnt/usb/disk.qcow2"},
                           {"/var/lib/libvirt/..iso", "/var/lib/libvirt/..iso"}});
}

TEST(PathParam, RefusesRelativeEscapingAndOutsidePaths) {
  expectRefused("cdrom",
                {"iso/a.iso", "", "/var/lib/libvirt/../../etc/shadow", "/var/lib/libvirt/iso/..",
                 "/var/lib/libvirtx/a.iso", "/etc/passwd", "/", 5, true, nullptr,
                 "/var/lib/libvirt/a\nb", std::string("/var/lib/libvirt/a\0b", 20)});
  EXPECT_EQ(check("cdrom", "/var/lib/libvirtx/a.iso").message,
            "spec.lifecycle.createAndStartVMFromISO.cdrom: the path '/var/lib/libvirtx/a.iso' is "
            "outside the allowed directories (/var/lib/libvirt, /mnt/usb/)");
  EXPECT_EQ(check("cdrom", "/var/lib/libvirt/../../etc/shadow").message,
            "spec.lifecycle.createAndStartVMFromISO.cdrom: '/var/lib/libvirt/../../etc/shadow' "
            "contains a '..' component; give the path without it");
  EXPECT_EQ(check("cdrom", "iso/a.iso").message,
            "spec.lifecycle.createAndStartVMFromISO.cdrom: 'iso/a.iso' is not an absolute path");
  EXPECT_EQ(check("cdrom", 5).message,
            "spec.lifecycle.createAndStartVMFromISO.cdrom: expected an absolute path, got the "
            "number 5");
}

TEST(PathParam, AdmitsNothingWithoutRootsAndEverythingUnderRootSlash) {
  EXPECT_EQ(check("cdrom", "/var/lib/libvirt/a.iso", ValidationContext{}).message,
            "spec.lifecycle.createAndStartVMFromISO.cdrom: the path '/var/lib/libvirt/a.iso' is "
            "not allowed: no path roots are configured on this node");
  const Checked anywhere = check("cdrom", "/etc/./passwd", ValidationContext{.path_roots = {"/"}});
  ASSERT_TRUE(anywhere.value.has_value()) << anywhere.message;
  EXPECT_EQ(*anywhere.value, ParamValue{std::string("/etc/passwd")});
}

// Values are handed to libraries and argv only: shell syntax is stored exactly as sent, and
// what would corrupt a log line or XML is refused. Nothing is ever altered.
TEST(HostileValues, AreStoredLiterallyOrRefusedNeverAltered) {
  const std::filesystem::path canary =
      std::filesystem::temp_directory_path() / ("univirt-canary-" + std::to_string(::getpid()));
  const std::string touch = "; touch " + canary.string();
  struct Case {
    std::string param;
    std::string value;
    bool accepted;
  };
  const std::vector<Case> cases = {
      {"network", touch, true},
      {"network", "$(id)", true},
      {"network", "`id`", true},
      {"network", "a && rm -rf /", true},
      {"network", "| cat /etc/shadow", true},
      {"network", "--domain=evil", true},
      {"network", "'\"quoted\"'", true},
      {"network", "${HOME} * ~root", true},
      {"network", "a\tb", true},
      {"cdrom", "/var/lib/libvirt/" + touch, true},
      {"cdrom", "/var/lib/libvirt/$(id).iso", true},
      {"cdrom", "/var/lib/libvirt/`id`.iso", true},
      {"network", "x\n" + touch, false},
      {"network", "\r\n", false},
      {"network", "\x1b]0;title\x07", false},
      {"network", std::string("a\0b", 3), false},
      {"cdrom", "/var/lib/libvirt/a\n" + touch, false},
  };
  for (const Case& c : cases) {
    const Checked result = check(c.param, c.value);
    if (c.accepted) {
      ASSERT_TRUE(result.value.has_value()) << c.value << ": " << result.message;
      EXPECT_EQ(std::get<std::string>(*result.value), c.value);
      continue;
    }
    EXPECT_FALSE(result.value.has_value()) << c.value;
    EXPECT_THAT(result.message, HasSubstr("control character")) << c.value;
    for (const char ch : result.message) {
      EXPECT_FALSE(static_cast<unsigned char>(ch) < 0x20) << result.message;
    }
  }
  EXPECT_FALSE(std::filesystem::exists(canary));
}

TEST(NormalizePath, IsLexical) {
  EXPECT_EQ(*detail::normalizePath("/"), "/");
  EXPECT_EQ(*detail::normalizePath("//a//b/./c/"), "/a/b/c");
  EXPECT_FALSE(detail::normalizePath("a/b"));
  EXPECT_FALSE(detail::normalizePath("/a/../b"));
  EXPECT_FALSE(detail::normalizePath(""));
}

TEST(IsUnderRoot, MatchesWholeComponentsOnly) {
  EXPECT_TRUE(detail::isUnderRoot("/var/lib/libvirt/x", "/var/lib/libvirt"));
  EXPECT_TRUE(detail::isUnderRoot("/var/lib/libvirt/x", "/var/lib/libvirt/"));
  EXPECT_TRUE(detail::isUnderRoot("/var/lib/libvirt", "/var/lib/libvirt"));
  EXPECT_FALSE(detail::isUnderRoot("/var/lib/libvirtx", "/var/lib/libvirt"));
  EXPECT_FALSE(detail::isUnderRoot("/var/lib", "/var/lib/libvirt"));
  EXPECT_TRUE(detail::isUnderRoot("/etc", "/"));
  EXPECT_FALSE(detail::isUnderRoot("/var/lib/libvirt/x", "var/lib"));
  EXPECT_FALSE(detail::isUnderRoot("/var/lib/libvirt/x", "/var/../var/lib"));
}

TEST(FixedNotation, NeverUsesAnExponent) {
  EXPECT_EQ(detail::fixedNotation(100.0), "100");
  EXPECT_EQ(detail::fixedNotation(0.5), "0.5");
  EXPECT_EQ(detail::fixedNotation(1e20), "100000000000000000000");
  EXPECT_EQ(detail::fixedNotation(1.25e17), "125000000000000000");
  EXPECT_EQ(detail::fixedNotation(1.5e-7), "0.00000015");
  EXPECT_EQ(detail::fixedNotation(-1e-5), "-0.00001");
  EXPECT_EQ(detail::fixedNotation(-12345.678e10), "-123456780000000");
}

TEST(Printable, EscapesControlsAndCutsAtCharacterBoundaries) {
  EXPECT_EQ(detail::printable("a\nb\x7f"), "a\\x0ab\\x7f");
  EXPECT_EQ(detail::printable("a\u0085b"), "a\\x85b");
  EXPECT_EQ(detail::printable("abcdef", 3), "abc...");
  // "é" is two bytes; a cut inside it moves back to the character's start.
  EXPECT_EQ(detail::printable("aé", 2), "a...");
  std::string wide;
  for (int i = 0; i < 30; ++i) {
    wide += "虚";
  }
  const std::string cut = detail::printable(wide, 64);
  EXPECT_EQ(cut.size(), 63U + 3U);
  EXPECT_NO_THROW((void)json(cut).dump());
}

}  // namespace
}  // namespace univirt::lifecycle
