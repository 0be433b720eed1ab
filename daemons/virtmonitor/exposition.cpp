#include "virtmonitor/exposition.h"

#include <cmath>
#include <iterator>

#include <fmt/format.h>

namespace univirt::virtmonitor {
namespace {

std::string escapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void appendEscaped(std::string_view value, std::string& out) {
  if (value.find_first_of("\\\"\n") == std::string_view::npos) {
    out += value;
    return;
  }
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void appendValue(double value, std::string& out) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    // fmt's shortest round-trip form: 0.25, 1e+21, 123456789.
    fmt::format_to(std::back_inserter(out), "{}", value);
  }
}

}  // namespace

std::string_view metricTypeName(MetricType type) {
  return type == MetricType::Counter ? "counter" : "gauge";
}

MetricFamily& MetricSet::family(std::string_view name, MetricType type, std::string_view help) {
  if (auto it = index_.find(name); it != index_.end()) {
    return families_[it->second];
  }
  index_.emplace(std::string(name), families_.size());
  families_.push_back(MetricFamily{
      .name = std::string(name), .help = std::string(help), .type = type, .samples = {}});
  return families_.back();
}

void MetricSet::add(std::string_view name, MetricType type, std::string_view help, Labels labels,
                    double value) {
  family(name, type, help).samples.push_back(Sample{.labels = std::move(labels), .value = value});
}

std::string escapeLabelValue(std::string_view value) {
  std::string out;
  appendEscaped(value, out);
  return out;
}

std::string formatValue(double value) {
  std::string out;
  appendValue(value, out);
  return out;
}

void appendText(const MetricSet& metrics, std::string& out) {
  // Appends straight into `out`: at 1,000 domains a refresh writes ~50k samples, and a
  // temporary string per label or value would be most of the cost.
  for (const MetricFamily& family : metrics.families()) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", family.name,
                   escapeHelp(family.help), family.name, metricTypeName(family.type));
    for (const Sample& sample : family.samples) {
      out += family.name;
      if (!sample.labels.empty()) {
        out += '{';
        bool first = true;
        for (const auto& [key, value] : sample.labels) {
          if (!first) {
            out += ',';
          }
          first = false;
          out += key;
          out += "=\"";
          appendEscaped(value, out);
          out += '"';
        }
        out += '}';
      }
      out += ' ';
      appendValue(sample.value, out);
      out += '\n';
    }
  }
}

std::string renderText(const MetricSet& metrics) {
  std::string out;
  appendText(metrics, out);
  return out;
}

}  // namespace univirt::virtmonitor
