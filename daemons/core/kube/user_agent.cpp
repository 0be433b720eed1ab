#include "core/kube/user_agent.h"

#include <cerrno>
#include <filesystem>
#include <mutex>
#include <optional>
#include <system_error>

#include <fmt/format.h>

#include "core/version.h"

namespace univirt::kube {

namespace {

// Go's GOOS/GOARCH names, as kubectl and client-go print them.
constexpr std::string_view kOs = "linux";
#if defined(__x86_64__)
constexpr std::string_view kArch = "amd64";
#elif defined(__aarch64__)
constexpr std::string_view kArch = "arm64";
#elif defined(__i386__)
constexpr std::string_view kArch = "386";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr std::string_view kArch = "ppc64le";
#elif defined(__s390x__)
constexpr std::string_view kArch = "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
constexpr std::string_view kArch = "riscv64";
#else
constexpr std::string_view kArch = "unknown";
#endif

constexpr std::string_view kPrefix = "univirt-";

struct Identity {
  std::mutex mu;
  std::optional<std::string> program;     // guarded by mu
  std::optional<std::string> user_agent;  // guarded by mu; fixed once read
};

Identity& identity() {
  static Identity instance;
  return instance;
}

std::string executableProgram() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    return programNameFromExecutable(exe.string());
  }
  return programNameFromExecutable(program_invocation_name);
}

}  // namespace

std::string programNameFromExecutable(std::string_view path) {
  std::string_view base = path.substr(path.find_last_of('/') + 1);
  if (base.starts_with(kPrefix) && base.size() > kPrefix.size()) {
    base.remove_prefix(kPrefix.size());
  }
  return base.empty() ? std::string("unknown") : std::string(base);
}

std::string userAgentFor(std::string_view program) {
  return fmt::format("{}{}/{} ({}/{})", kPrefix, program, kVersion, kOs, kArch);
}

void setProgramName(std::string_view name) {
  Identity& id = identity();
  std::lock_guard lock(id.mu);
  id.program = std::string(name);
}

const std::string& userAgent() {
  Identity& id = identity();
  std::lock_guard lock(id.mu);
  if (!id.user_agent) {
    id.user_agent = userAgentFor(id.program ? *id.program : executableProgram());
  }
  return *id.user_agent;
}

}  // namespace univirt::kube
