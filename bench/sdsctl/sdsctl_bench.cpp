// sdsctl_bench: what the storage operations cost on this machine's disk, through the same
// FileBackend the daemon and univirt-sdsctl use (qemu-img by argv), in a temp directory:
//   create     qcow2 disks of 10G (empty, sparse)                      → operations/s
//   snapshot   external snapshots stacked on one disk (a new overlay)  → operations/s
//   clone      flattened copies of a small qcow2 disk (4 MiB of data)  → operations/s
//   full copy  createDiskFromDiskImage --full-copy of an image holding `megabytes` of data,
//              against a bare `qemu-img convert -O qcow2` of the same image in the same run
//              → MiB/s each and sdsctl's overhead in percent
// Usage: sdsctl_bench [operations=50] [megabytes=256] [directory=$TMPDIR]

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "core/util/exec.h"
#include "sdsctl/file_backend.h"

namespace {

namespace fs = std::filesystem;
using univirt::sdsctl::FileBackend;
using univirt::sdsctl::PoolContext;
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

[[noreturn]] void fail(const std::string& what) {
  fmt::print(stderr, "sdsctl_bench: {}\n", what);
  std::exit(1);
}

template <typename Result>
void check(const Result& result, const std::string& what) {
  if (!result.has_value()) {
    fail(fmt::format("{}: {}", what, result.error().message));
  }
}

// A raw file of `megabytes` MiB of incompressible data, converted to qcow2 as the image.
fs::path makeImage(const fs::path& dir, int megabytes) {
  const fs::path raw = dir / "image.raw";
  {
    std::ofstream out(raw, std::ios::binary);
    std::mt19937_64 random(42);
    std::vector<std::uint64_t> block(1 << 17);  // 1 MiB
    for (int i = 0; i < megabytes; ++i) {
      for (auto& word : block) {
        word = random();
      }
      out.write(reinterpret_cast<const char*>(block.data()),
                static_cast<std::streamsize>(block.size() * sizeof(std::uint64_t)));
    }
  }
  fs::path image = dir / "images" / "image.qcow2";
  fs::create_directories(image.parent_path());
  auto ran = univirt::util::runProgram(
      {"/usr/bin/qemu-img", "convert", "-O", "qcow2", raw.string(), image.string()});
  if (!ran || !ran->succeeded()) {
    fail("cannot make the test image");
  }
  fs::remove(raw);
  return image;
}

}  // namespace

int main(int argc, char** argv) {
  const int operations = argc > 1 ? std::atoi(argv[1]) : 50;
  const int megabytes = argc > 2 ? std::atoi(argv[2]) : 256;
  const fs::path parent = argc > 3 ? fs::path(argv[3]) : fs::temp_directory_path();
  if (operations <= 0 || megabytes <= 0) {
    fail("usage: sdsctl_bench [operations>0] [megabytes>0] [directory]");
  }
  std::string pattern = (parent / "univirt-sdsctl-bench.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    fail("cannot create a temp directory");
  }
  const fs::path dir = fs::canonical(pattern);
  fs::create_directories(dir / "pool");
  PoolContext pool{.name = "bench", .type = univirt::sdsctl::PoolType::Dir, .root = dir / "pool"};
  FileBackend backend;
  fmt::print("sdsctl_bench: {} operations, {} MiB image, in {}\n", operations, megabytes,
             dir.string());

  auto start = Clock::now();
  for (int i = 0; i < operations; ++i) {
    check(backend.createDisk(pool, fmt::format("disk{}", i), 10ULL << 30, "qcow2"), "create");
  }
  const double create = operations / secondsSince(start);
  fmt::print("  create qcow2 10G        {:8.1f} operations/s\n", create);

  start = Clock::now();
  for (int i = 0; i < operations; ++i) {
    check(backend.createExternalSnapshot(pool, "disk0", fmt::format("snap{}", i)), "snapshot");
  }
  fmt::print("  external snapshot       {:8.1f} operations/s (chain of {})\n",
             operations / secondsSince(start), operations);

  check(backend.createDisk(pool, "small", 64ULL << 20, "qcow2"), "create small");
  {
    auto ran = univirt::util::runProgram({"/usr/bin/qemu-io", "-c", "write -P 0x5a 0 4M",
                                          (dir / "pool" / "small" / "small").string()});
    if (!ran || !ran->succeeded()) {
      fail("cannot write the small disk");
    }
  }
  start = Clock::now();
  for (int i = 0; i < operations; ++i) {
    check(backend.cloneDisk(pool, "small", fmt::format("clone{}", i), "qcow2"), "clone");
  }
  fmt::print("  clone (4 MiB of data)   {:8.1f} operations/s\n", operations / secondsSince(start));

  const fs::path image = makeImage(dir, megabytes);
  PoolContext images{
      .name = "images", .type = univirt::sdsctl::PoolType::Dir, .root = dir / "images"};
  // Alternate the two so the page cache treats both alike; three rounds each.
  double bare_seconds = 0;
  double sdsctl_seconds = 0;
  constexpr int kRounds = 3;
  for (int round = 0; round < kRounds; ++round) {
    const fs::path target = dir / fmt::format("bare{}.qcow2", round);
    start = Clock::now();
    auto ran = univirt::util::runProgram(
        {"/usr/bin/qemu-img", "convert", "-q", "-O", "qcow2", image.string(), target.string()});
    bare_seconds += secondsSince(start);
    if (!ran || !ran->succeeded()) {
      fail("qemu-img convert failed");
    }
    fs::remove(target);
    start = Clock::now();
    check(backend.createDiskFromImage(pool, fmt::format("full{}", round), images, image, true),
          "full copy");
    sdsctl_seconds += secondsSince(start);
    check(backend.deleteDisk(pool, fmt::format("full{}", round)), "delete");
  }
  const double bare = megabytes * kRounds / bare_seconds;
  const double through = megabytes * kRounds / sdsctl_seconds;
  fmt::print("  full copy, qemu-img     {:8.1f} MiB/s\n", bare);
  fmt::print("  full copy, sdsctl       {:8.1f} MiB/s ({:+.1f}% time vs qemu-img convert)\n",
             through, (sdsctl_seconds / bare_seconds - 1.0) * 100.0);
  fs::remove_all(dir);
  return 0;
}
