// Blocks SIGTERM, SIGINT and SIGHUP before GoogleTest's main() runs, exactly as every daemon's
// main() does through util::runMain(): every thread of this test binary inherits the mask, so
// a test may send the process SIGTERM and only a SignalWatcher sees it.

#include "core/util/signals.h"

namespace {

const bool kSignalsBlocked = [] {
  univirt::util::blockShutdownSignals();
  return true;
}();

}  // namespace
