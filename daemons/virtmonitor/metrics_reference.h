#pragma once

// The metrics reference (docs/metrics.md), generated from what the exporter emits: a reference
// Snapshot (one running domain with every statistic libvirt's bulk call can report, one shut
// off domain, one storage pool) is rendered through each family's real code and the exporter's
// health series, and the resulting text is described family by family (name, type, label
// names, help). Tests describe live output the same way and check it against this reference.

#include <string>
#include <string_view>
#include <vector>

#include "virtmonitor/domain_stats.h"
#include "virtmonitor/exposition.h"
#include "virtmonitor/families.h"

namespace univirt::virtmonitor {

struct FamilyDescription {
  std::string name;
  std::string type;  // "gauge", "counter"
  std::string help;
  std::vector<std::string> labels;  // names, in first-seen order
  std::size_t samples = 0;
};

// Families, label names and sample counts of exposition text (the subset of the text format
// virtmonitor writes: # HELP, # TYPE, samples with or without labels).
std::vector<FamilyDescription> describeText(std::string_view text);

// The reference data, previous and current refresh 10 s apart.
Snapshot referenceSnapshot(bool later);
Owners referenceOwners();

// The reference text of one family, and of the exporter's own series.
std::string referenceText(Family family);
std::string referenceHealthText();

// docs/metrics.md.
std::string renderMetricsReference();

}  // namespace univirt::virtmonitor
