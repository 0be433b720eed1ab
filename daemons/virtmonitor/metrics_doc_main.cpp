// univirt-virtmonitor-metrics-doc: prints docs/metrics.md (the generated metrics reference).

#include <iostream>

#include "virtmonitor/metrics_reference.h"

int main() {
  std::cout << univirt::virtmonitor::renderMetricsReference();
  return 0;
}
