#include "core/util/exec.h"

#include <array>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util/check.h"
#include "core/util/clock.h"

extern char** environ;  // NOLINT: POSIX declares it nowhere else

namespace univirt::util {
namespace {

// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = -1;
  }

 private:
  int fd_;
};

// posix_spawn attributes and file actions, destroyed on every path.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

std::vector<char*> cStrings(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (const std::string& text : strings) {
    pointers.push_back(const_cast<char*>(text.c_str()));  // posix_spawn's C signature; not written
  }
  pointers.push_back(nullptr);
  return pointers;
}

Result<pid_t> spawn(const std::vector<std::string>& argv, const ExecOptions& options, int out_fd,
                    int err_fd) {
  SpawnSetup setup;
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int signal : {SIGPIPE, SIGTERM, SIGINT, SIGHUP}) {
    sigaddset(&defaults, signal);
  }
  posix_spawnattr_setsigmask(&setup.attr, &none);
  posix_spawnattr_setsigdefault(&setup.attr, &defaults);
  posix_spawnattr_setpgroup(&setup.attr, 0);
  posix_spawnattr_setflags(&setup.attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  if (!options.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&setup.actions, options.working_dir.c_str());
  }
  posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // The pipe ends are close-on-exec; dup2 gives the child copies without that flag.
  posix_spawn_file_actions_adddup2(&setup.actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, err_fd, STDERR_FILENO);

  std::vector<char*> args = cStrings(argv);
  std::vector<char*> env_pointers;
  if (options.env) {
    env_pointers = cStrings(*options.env);
  }
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &setup.actions, &setup.attr, args.data(),
                        options.env ? env_pointers.data() : environ);
  if (rc != 0) {
    auto code = rc == ENOENT   ? ErrorCode::NotFound
                : rc == EACCES ? ErrorCode::PermissionDenied
                               : ErrorCode::Internal;
    if (!options.working_dir.empty()) {
      return Error{code, fmt::format("cannot run '{}' in '{}': {}", argv[0], options.working_dir,
                                     std::strerror(rc))};
    }
    return Error{code, fmt::format("cannot run '{}': {}", argv[0], std::strerror(rc))};
  }
  return pid;
}

void readSome(int fd, std::string& into, bool& open, bool& truncated, std::size_t limit) {
  char buffer[8192];
  ssize_t got = ::read(fd, buffer, sizeof buffer);
  if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
    return;
  }
  if (got <= 0) {
    open = false;
    return;
  }
  std::size_t keep = std::min(static_cast<std::size_t>(got), limit - std::min(limit, into.size()));
  into.append(buffer, keep);
  truncated = truncated || keep < static_cast<std::size_t>(got);
}

}  // namespace

Result<ExecResult> runProgram(const std::vector<std::string>& argv, const ExecOptions& options) {
  if (argv.empty() || argv[0].empty()) {
    return Error{ErrorCode::InvalidArgument, "cannot run a program without a name"};
  }
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    return Error{ErrorCode::Internal,
                 fmt::format("cannot create a pipe: {}", std::strerror(errno))};
  }
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    return Error{ErrorCode::Internal,
                 fmt::format("cannot create a pipe: {}", std::strerror(errno))};
  }
  Fd err_read(err_pipe[0]), err_write(err_pipe[1]);

  auto deadline = Clock::real().now() + options.timeout;
  auto pid = spawn(argv, options, out_write.get(), err_write.get());
  if (!pid) {
    return std::move(pid).error();
  }
  out_write.reset();  // only the child writes; EOF comes when it (and its children) close them
  err_write.reset();
  // Lets poll() see the exit. (glibc 2.36's <sys/pidfd.h> lacks extern "C", hence syscall().)
  // Without it (Linux < 5.3, or a seccomp filter) the run ends when both pipes close and waitpid()
  // then blocks, even past the timeout.
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, *pid, 0)));

  ExecResult result;
  bool out_open = true;
  bool err_open = true;
  bool exited = pidfd.get() < 0;
  bool timed_out = false;
  while (out_open || err_open || !exited) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::real().now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    std::array<pollfd, 3> fds = {pollfd{out_open ? out_read.get() : -1, POLLIN, 0},
                                 pollfd{err_open ? err_read.get() : -1, POLLIN, 0},
                                 pollfd{exited ? -1 : pidfd.get(), POLLIN, 0}};
    int ready = ::poll(fds.data(), fds.size(),
                       static_cast<int>(std::min<std::int64_t>(left.count(), 60'000)));
    if (ready < 0 && errno != EINTR) {
      UNIVIRT_CHECK(false, "poll on our own descriptors succeeds");
    }
    if (ready <= 0) {
      continue;
    }
    if (fds[0].revents != 0) {
      readSome(out_read.get(), result.out, out_open, result.truncated, options.max_output_bytes);
    }
    if (fds[1].revents != 0) {
      readSome(err_read.get(), result.err, err_open, result.truncated, options.max_output_bytes);
    }
    if (fds[2].revents != 0) {
      exited = true;
    }
  }
  if (timed_out) {
    ::kill(-*pid, SIGKILL);  // the whole process group: whatever it started holds our pipes
  }
  int status = 0;
  while (::waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return Error{ErrorCode::Timeout, fmt::format("'{}' did not finish within {}ms and was killed",
                                                 argv[0], options.timeout.count())};
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

Status checkSucceeded(const std::vector<std::string>& argv, const ExecResult& result) {
  if (result.succeeded()) {
    return ok();
  }
  std::string_view name = argv.empty() ? std::string_view("program") : std::string_view(argv[0]);
  if (result.signal != 0) {
    return Error{ErrorCode::Internal,
                 fmt::format("'{}' was killed by signal {}", name, result.signal)};
  }
  std::string_view err = result.err;
  while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) {
    err.remove_suffix(1);
  }
  auto newline = err.rfind('\n');
  std::string_view last = newline == std::string_view::npos ? err : err.substr(newline + 1);
  if (last.empty()) {
    return Error{ErrorCode::Internal,
                 fmt::format("'{}' exited with status {}", name, result.exit_code)};
  }
  return Error{ErrorCode::Internal,
               fmt::format("'{}' exited with status {}: {}", name, result.exit_code, last)};
}

}  // namespace univirt::util
