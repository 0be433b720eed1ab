#pragma once

// The Prometheus text exposition format (version 0.0.4), written directly: a refresh turns
// its Snapshot into MetricFamily values and renders them once; every scrape until the next
// refresh is served the same bytes.
//
// Families are rendered in the order added, each with # HELP and # TYPE even when it has no
// samples (so the set of families a configuration emits does not depend on the domains),
// samples in the order added. Label values are escaped (\\, \", \n); values use the
// shortest text that reads back as the same double; NaN and infinities as Prometheus spells
// them.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace univirt::virtmonitor {

enum class MetricType { Gauge, Counter };

std::string_view metricTypeName(MetricType type);

using Labels = std::vector<std::pair<std::string, std::string>>;

struct Sample {
  Labels labels;
  double value = 0;
};

struct MetricFamily {
  std::string name;
  std::string help;
  MetricType type = MetricType::Gauge;
  std::vector<Sample> samples;
};

// Families by name in insertion order.
class MetricSet {
 public:
  // The family named `name`, created (with help and type) on first use.
  MetricFamily& family(std::string_view name, MetricType type, std::string_view help);
  void add(std::string_view name, MetricType type, std::string_view help, Labels labels,
           double value);
  const std::vector<MetricFamily>& families() const { return families_; }

 private:
  std::vector<MetricFamily> families_;
  std::map<std::string, std::size_t, std::less<>> index_;  // name → position in families_
};

void appendText(const MetricSet& metrics, std::string& out);
std::string renderText(const MetricSet& metrics);

// "a\"b" for a"b: a label value as the text format writes it between the quotes.
std::string escapeLabelValue(std::string_view value);
std::string formatValue(double value);

}  // namespace univirt::virtmonitor
