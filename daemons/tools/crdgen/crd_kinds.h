#pragma once

// The custom resource kinds of crd-contract.md §1: names, short names and printer columns,
// exactly as upstream ships them. The only place these are written down.

#include <string>
#include <vector>

namespace univirt::crdgen {

struct PrinterColumn {
  std::string name;
  std::string type;  // string, integer, date
  std::string json_path;
  int priority = 0;  // 0: shown by `kubectl get`; 1: only with -o wide
};

struct KindInfo {
  std::string kind;
  std::string plural;
  std::string singular;
  std::vector<std::string> short_names = {};
  std::vector<PrinterColumn> columns = {};
  // virtctl watches the kind for lifecycle requests (crd-contract.md §2.2), so its CRD gets
  // the typed spec.lifecycle and the PHASE column.
  bool watched = false;
  std::string description = {};
};

inline constexpr const char* kGroup = "doslab.io";
inline constexpr const char* kVersion = "v1";

const std::vector<KindInfo>& contractKinds();

}  // namespace univirt::crdgen
