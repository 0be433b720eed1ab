#include "core/util/process_metrics.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <string_view>
#include <vector>

#include <dirent.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/version.h"

namespace univirt::util {
namespace {

Error unavailable(std::string_view what) {
  return Error{ErrorCode::Unavailable,
               fmt::format("cannot read {}: {}", what, std::strerror(errno))};
}

Result<std::string> readFile(const char* path) {
  std::ifstream in(path);
  if (!in) {
    return unavailable(path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Seconds since the epoch at which the machine booted (btime in /proc/stat).
Result<double> bootTime() {
  auto stat = readFile("/proc/stat");
  if (!stat) {
    return std::move(stat).error();
  }
  std::istringstream lines(*stat);
  std::string key;
  double value = 0;
  while (lines >> key) {
    if (key == "btime" && lines >> value) {
      return value;
    }
    lines.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return Error{ErrorCode::Unavailable, "/proc/stat has no btime line"};
}

Result<double> countOpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) {
    return unavailable("/proc/self/fd");
  }
  double count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    // Not ".", "..", nor the descriptor this loop reads through.
    if (name != "." && name != ".." && name != std::to_string(::dirfd(dir))) {
      ++count;
    }
  }
  ::closedir(dir);
  return count;
}

// /proc fields are plain decimal numbers.
double number(const std::string& text) { return std::strtod(text.c_str(), nullptr); }

prometheus::MetricFamily gauge(std::string name, std::string help, double value,
                               prometheus::MetricType type = prometheus::MetricType::Gauge) {
  prometheus::ClientMetric metric;
  metric.gauge.value = value;
  metric.counter.value = value;
  return prometheus::MetricFamily{std::move(name), std::move(help), type, {metric}};
}

}  // namespace

Result<ProcessStats> readProcessStats() {
  auto stat = readFile("/proc/self/stat");
  if (!stat) {
    return std::move(stat).error();
  }
  // The command name (field 2) may hold spaces and parentheses: fields start after the last ')'.
  auto close = stat->rfind(')');
  if (close == std::string::npos) {
    return Error{ErrorCode::Unavailable, "/proc/self/stat has no command name"};
  }
  std::istringstream fields(stat->substr(close + 1));
  std::vector<std::string> field;  // field[0] is field 3 (state) of proc(5)
  for (std::string item; fields >> item;) {
    field.push_back(item);
  }
  if (field.size() < 22) {
    return Error{ErrorCode::Unavailable, "/proc/self/stat is shorter than expected"};
  }
  auto boot = bootTime();
  if (!boot) {
    return std::move(boot).error();
  }
  auto fds = countOpenFds();
  if (!fds) {
    return std::move(fds).error();
  }
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  ProcessStats stats;
  stats.cpu_seconds = (number(field[11]) + number(field[12])) / ticks;  // utime + stime
  stats.start_time_seconds = *boot + number(field[19]) / ticks;         // starttime
  stats.virtual_bytes = number(field[20]);                              // vsize
  stats.resident_bytes = number(field[21]) * page;                      // rss in pages
  stats.open_fds = *fds;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    stats.max_fds = static_cast<double>(limit.rlim_cur);
  }
  return stats;
}

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> families;
  if (auto stats = readProcessStats()) {
    families.push_back(gauge("process_cpu_seconds_total",
                             "Total user and system CPU time spent in seconds.", stats->cpu_seconds,
                             prometheus::MetricType::Counter));
    families.push_back(gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
                             stats->resident_bytes));
    families.push_back(gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                             stats->virtual_bytes));
    families.push_back(
        gauge("process_open_fds", "Number of open file descriptors.", stats->open_fds));
    families.push_back(
        gauge("process_max_fds", "Maximum number of open file descriptors.", stats->max_fds));
    families.push_back(gauge("process_start_time_seconds",
                             "Start time of the process since unix epoch in seconds.",
                             stats->start_time_seconds));
  }
  auto build = gauge("univirt_build_info",
                     "The univirt version and git commit this daemon was built from.", 1);
  build.metric[0].label = {{"commit", kGitCommit}, {"daemon", daemon_}, {"version", kVersion}};
  families.push_back(std::move(build));
  return families;
}

}  // namespace univirt::util
