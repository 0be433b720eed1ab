#pragma once

// InotifyWatcher: one inotify instance and the thread that reads it. Directories are added
// and removed while it runs; every event is handed to one callback on that thread, which must
// be quick (it only queues work). No polling: the thread blocks in poll() on the inotify
// descriptor and an eventfd that stop() writes to.
//
// A queue overflow (IN_Q_OVERFLOW) is delivered as an event with an empty dir and name, so the
// owner rescans everything it watches.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "core/util/result.h"

namespace univirt::virtlet {

struct FsEvent {
  std::string dir = {};   // the watched directory, as given to watch()
  std::string name = {};  // entry inside it; empty for events on the directory itself
  std::uint32_t mask = 0;
};

class InotifyWatcher {
 public:
  using Callback = std::function<void(const FsEvent& event)>;

  explicit InotifyWatcher(Callback callback);
  ~InotifyWatcher();
  InotifyWatcher(const InotifyWatcher&) = delete;
  InotifyWatcher& operator=(const InotifyWatcher&) = delete;

  // Opens the descriptors and starts the reader thread.
  util::Status start();
  void stop();

  // Watches `dir` (not recursively) for `mask` (IN_* bits). Watching a directory again
  // replaces its mask. NotFound / PermissionDenied when the directory cannot be watched.
  util::Status watch(const std::string& dir, std::uint32_t mask);
  void unwatch(const std::string& dir);
  bool watching(const std::string& dir) const;

 private:
  void run();

  Callback callback_;
  int inotify_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  mutable std::mutex mu_;
  std::map<int, std::string> dirs_;  // guarded by mu_: watch descriptor -> directory
};

}  // namespace univirt::virtlet
