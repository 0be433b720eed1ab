// xmljson_bench: conversions per second of the domain XML <-> JSON converter.
//
//   xmljson_bench [--iterations N] [XML-FILE]
//
// Converts the libvirt test driver's `test` domain (tests/fixtures/domain_xml/test-driver.xml,
// captured with `virsh -c test:///default dumpxml test`) N times (default 100000) each way, and
// the same number of times runs a baseline in the same process: a bare pugixml parse for
// XML -> JSON, a pugixml serialization of the parsed document for JSON -> XML. The ratio says
// how many times the baseline's time a conversion takes, which is stable across machines where
// the absolute figures are not.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>

#include <pugixml.hpp>

#include "core/virt/detail/domain_xml_codec.h"
#include "core/virt/domain_xml.h"

namespace {

using univirt::virt::canonicalizeXml;
using univirt::virt::domainXmlToJson;
using univirt::virt::jsonToDomainXml;

// The iterations run in kRounds interleaved rounds and each figure is its best round, so a
// burst of load from other processes on a shared machine skews neither side of a ratio.
constexpr int kRounds = 10;

struct Run {
  double per_second = 0;     // best round
  std::size_t checksum = 0;  // keeps the optimizer from dropping the work
};

void timeRound(long iterations, const std::function<std::size_t()>& body, Run& run) {
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < iterations; ++i) {
    run.checksum += body();
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  run.per_second = std::max(run.per_second, static_cast<double>(iterations) / elapsed.count());
}

class StringWriter : public pugi::xml_writer {
 public:
  void write(const void* data, std::size_t size) override {
    out.append(static_cast<const char*>(data), size);
  }
  std::string out;
};

void print(const char* label, const Run& run, const char* unit) {
  std::printf("%-34s %12.0f %s\n", label, run.per_second, unit);
}

void printRatio(const char* label, const Run& run, const Run& baseline, const char* baseline_name) {
  std::printf("%-34s %12.0f conversions/s  (%.2fx the time of %s)\n", label, run.per_second,
              baseline.per_second / run.per_second, baseline_name);
}

}  // namespace

int main(int argc, char** argv) {
  long iterations = 100000;
  std::string path = UNIVIRT_SOURCE_DIR "/tests/fixtures/domain_xml/test-driver.xml";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--iterations" && i + 1 < argc) {
      iterations = std::strtol(argv[++i], nullptr, 10);
    } else if (arg == "--help" || arg == "-h") {
      std::printf("usage: xmljson_bench [--iterations N] [XML-FILE]\n");
      return 0;
    } else {
      path = std::string(arg);
    }
  }
  if (iterations <= 0) {
    std::fprintf(stderr, "xmljson_bench: --iterations must be a positive number\n");
    return 2;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "xmljson_bench: cannot read '%s'\n", path.c_str());
    return 1;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string xml = buffer.str();

  auto json = domainXmlToJson(xml);
  if (!json) {
    std::fprintf(stderr, "xmljson_bench: %s\n", json.error().message.c_str());
    return 1;
  }
  auto written = jsonToDomainXml(*json);
  if (!written || canonicalizeXml(*written).value_or("") != canonicalizeXml(xml).value_or("-")) {
    std::fprintf(stderr, "xmljson_bench: the document does not round-trip\n");
    return 1;
  }
  const nlohmann::json sorted = nlohmann::json::parse(json->dump());
  pugi::xml_document parsed;
  parsed.load_buffer(xml.data(), xml.size(), univirt::virt::detail::kParseOptions,
                     pugi::encoding_utf8);

  std::printf("xmljson_bench: %s (%zu bytes), %ld iterations each, best of %d rounds\n",
              path.c_str(), xml.size(), std::max(1L, iterations / kRounds) * kRounds, kRounds);

  const auto parse_body = [&xml] {
    pugi::xml_document doc;
    doc.load_buffer(xml.data(), xml.size(), univirt::virt::detail::kParseOptions,
                    pugi::encoding_utf8);
    return static_cast<std::size_t>(doc.document_element().name()[0]);
  };
  const auto to_json_body = [&xml] { return domainXmlToJson(xml)->size(); };
  // Building the same JSON tree from its own text: what the tree alone costs in nlohmann.
  const std::string json_text = json->dump();
  const auto json_parse_body = [&json_text] {
    return nlohmann::ordered_json::parse(json_text).size();
  };
  const auto save_body = [&parsed] {
    StringWriter writer;
    writer.out.reserve(4096);
    parsed.save(writer, "  ", pugi::format_default | pugi::format_no_declaration);
    return writer.out.size();
  };
  const auto to_xml_body = [&json] { return jsonToDomainXml(*json)->size(); };
  const auto to_xml_sorted_body = [&sorted] { return jsonToDomainXml(sorted)->size(); };

  Run parse;
  Run json_parse;
  Run to_json;
  Run save;
  Run to_xml;
  Run to_xml_sorted;
  const long per_round = std::max(1L, iterations / kRounds);
  for (int round = 0; round < kRounds; ++round) {
    timeRound(per_round, parse_body, parse);
    timeRound(per_round, json_parse_body, json_parse);
    timeRound(per_round, to_json_body, to_json);
    timeRound(per_round, save_body, save);
    timeRound(per_round, to_xml_body, to_xml);
    timeRound(per_round, to_xml_sorted_body, to_xml_sorted);
  }

  print("baseline: pugixml parse", parse, "documents/s");
  print("baseline: nlohmann parse of the JSON", json_parse, "documents/s");
  printRatio("xml->json domainXmlToJson", to_json, parse, "pugixml parse");
  std::printf("%-34s %12s %14s  (%.2fx the time of nlohmann parse)\n", "", "", "",
              json_parse.per_second / to_json.per_second);
  print("baseline: pugixml serialize", save, "documents/s");
  printRatio("json->xml jsonToDomainXml", to_xml, save, "pugixml serialize");
  printRatio("json->xml (sorted nlohmann::json)", to_xml_sorted, save, "pugixml serialize");
  std::printf("checksum %zu\n", parse.checksum + json_parse.checksum + to_json.checksum +
                                    save.checksum + to_xml.checksum + to_xml_sorted.checksum);
  return 0;
}
