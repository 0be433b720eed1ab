#include "virtmonitor/exposition.h"

#include <cstdlib>
#include <limits>

#include <gtest/gtest.h>

namespace univirt::virtmonitor {
namespace {

TEST(Exposition, RendersHelpTypeAndSamplesInOrder) {
  MetricSet metrics;
  metrics.add("a_total", MetricType::Counter, "first", {{"x", "1"}, {"y", "2"}}, 3);
  metrics.family("b", MetricType::Gauge, "empty family");
  metrics.add("a_total", MetricType::Counter, "ignored on second use", {}, 4);
  EXPECT_EQ(renderText(metrics),
            "# HELP a_total first\n# TYPE a_total counter\na_total{x=\"1\",y=\"2\"} 3\n"
            "a_total 4\n# HELP b empty family\n# TYPE b gauge\n");
}

TEST(Exposition, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  MetricSet metrics;
  metrics.add("m", MetricType::Gauge, "line one\nback\\slash", {{"path", "C:\\x \"y\""}}, 1);
  EXPECT_EQ(renderText(metrics),
            "# HELP m line one\\nback\\\\slash\n# TYPE m gauge\nm{path=\"C:\\\\x \\\"y\\\"\"} 1\n");
}

TEST(Exposition, FormatsValuesSoTheyReadBackExactly) {
  for (double value : {0.0, 1.0, 0.1, 1e-9, 123456789.0, 18446744073709551615.0, 4.5e15, -2.5}) {
    const std::string text = formatValue(value);
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), value) << text;
  }
  EXPECT_EQ(formatValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(formatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(formatValue(-std::numeric_limits<double>::infinity()), "-Inf");
}

}  // namespace
}  // namespace univirt::virtmonitor
