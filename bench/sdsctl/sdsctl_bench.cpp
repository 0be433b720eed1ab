// sdsctl_bench: what the storage operations cost on this machine's disk, through the same
// FileBackend the daemon and univirt-sdsctl use (qemu-img by argv), in a temp directory:
//   create     qcow2 disks of 10G (empty, sparse)                      → operations/s
//   snapshot   external snapshots stacked on one disk (a new overlay)  → operations/s
//   clone      flattened copies of a small qcow2 disk (4 MiB of data)  → operations/s
//   full copy  createDiskFromDiskImage --full-copy of an image holding `megabytes` of data,
//              against a bare `qemu-img convert -O qcow2` of the same image in the same run
//              → MiB/s each and sdsctl's overhead in percent
// With UNIVIRT_CEPH_CONF set (a cluster such as tests/fixtures/ceph/ceph-fixture.sh starts),
// the same operations on RBD through RbdBackend (librbd in process), in Ceph pool
// UNIVIRT_CEPH_POOL (default `rbd`), in the same run:
//   create     raw RBD images of 10G                                   → operations/s
//   snapshot   RBD snapshots of one image                              → operations/s
//   clone      RBD clones of a disk image's protected snapshot         → operations/s
//   copy       flat copies (cloneDisk) of a disk holding 4 MiB of data → operations/s
//   full copy  of a disk holding `megabytes` of data, three rounds each, alternating:
//              sdsctl's RBD→RBD copy (cloneDisk: librbd copy3) against `qemu-img convert -O raw
//              rbd:… rbd:…`, and sdsctl's RBD→file export (createDiskImageFromDisk into a
//              directory pool: librbd, sparse) against `qemu-img convert -O raw rbd:… file`
//              → MiB/s each
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
#include "sdsctl/rbd_backend.h"

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

// The RBD figures; images are named bench-<pid>-… and removed afterwards.
// Runs argv; fails the bench when it does not succeed.
void runOrFail(const std::vector<std::string>& argv, const std::string& what) {
  auto ran = univirt::util::runProgram(argv);
  if (!ran || !ran->succeeded()) {
    fail(fmt::format("{} failed: {}", what, ran ? ran->err : ran.error().message));
  }
}

// Full copies of an RBD disk holding `megabytes` MiB: sdsctl against qemu-img, same run.
void benchRbdFullCopy(univirt::sdsctl::RbdBackend& backend,
                      const univirt::sdsctl::RbdSettings& settings, const PoolContext& pool,
                      const std::string& prefix, int megabytes) {
  const fs::path dir = fs::temp_directory_path() / (prefix + "-copy");
  fs::create_directories(dir / "files");
  const fs::path raw = dir / "data.raw";
  {
    std::ofstream out(raw, std::ios::binary);
    std::mt19937_64 random(7);
    std::vector<std::uint64_t> block(1 << 17);  // 1 MiB
    for (int i = 0; i < megabytes; ++i) {
      for (auto& word : block) {
        word = random();
      }
      out.write(reinterpret_cast<const char*>(block.data()),
                static_cast<std::streamsize>(block.size() * sizeof(std::uint64_t)));
    }
  }
  PoolContext files{.name = "files", .type = univirt::sdsctl::PoolType::Dir, .root = dir};
  const std::string source = prefix + "-big";
  check(backend.createDiskFromImage(pool, source, files, raw, true), "rbd import");
  fs::remove(raw);
  const std::string rbd = "/usr/bin/rbd";
  double bare_copy = 0;
  double sdsctl_copy = 0;
  double bare_export = 0;
  double sdsctl_export = 0;
  constexpr int kRounds = 3;
  for (int round = 0; round < kRounds; ++round) {
    const std::string bare_name = fmt::format("{}-bare{}", prefix, round);
    auto start = Clock::now();
    runOrFail({settings.qemu_img, "convert", "-q", "-O", "raw",
               univirt::sdsctl::qemuRbdTarget(settings, pool.rbd_pool, source),
               univirt::sdsctl::qemuRbdTarget(settings, pool.rbd_pool, bare_name)},
              "qemu-img convert rbd → rbd");
    bare_copy += secondsSince(start);
    runOrFail({rbd, "--conf", settings.conf, "rm", "--no-progress",
               fmt::format("{}/{}", pool.rbd_pool, bare_name)},
              "rbd rm");
    const std::string copy_name = fmt::format("{}-copy{}", prefix, round);
    start = Clock::now();
    check(backend.cloneDisk(pool, source, copy_name, ""), "rbd full copy");
    sdsctl_copy += secondsSince(start);
    check(backend.deleteDisk(pool, copy_name), "rbd delete");

    const fs::path bare_file = dir / fmt::format("bare{}.raw", round);
    start = Clock::now();
    runOrFail({settings.qemu_img, "convert", "-q", "-O", "raw",
               univirt::sdsctl::qemuRbdTarget(settings, pool.rbd_pool, source), bare_file.string()},
              "qemu-img convert rbd → file");
    bare_export += secondsSince(start);
    fs::remove(bare_file);
    const fs::path file = dir / fmt::format("export{}.raw", round);
    start = Clock::now();
    check(backend.exportToFile(pool, source, "disk", file), "rbd export");
    sdsctl_export += secondsSince(start);
    fs::remove(file);
  }
  const double total = static_cast<double>(megabytes) * kRounds;
  fmt::print("  full copy {} MiB, rbd → rbd:\n", megabytes);
  fmt::print("    qemu-img convert      {:8.1f} MiB/s\n", total / bare_copy);
  fmt::print("    sdsctl (copy3)        {:8.1f} MiB/s ({:+.1f}% time vs qemu-img convert)\n",
             total / sdsctl_copy, (sdsctl_copy / bare_copy - 1.0) * 100.0);
  fmt::print("  full copy {} MiB, rbd → raw file:\n", megabytes);
  fmt::print("    qemu-img convert      {:8.1f} MiB/s\n", total / bare_export);
  fmt::print("    sdsctl (librbd)       {:8.1f} MiB/s ({:+.1f}% time vs qemu-img convert)\n",
             total / sdsctl_export, (sdsctl_export / bare_export - 1.0) * 100.0);
  check(backend.deleteDisk(pool, source), "rbd delete");
  fs::remove_all(dir);
}

void benchRbd(const std::string& conf, int operations, int megabytes) {
  const char* pool_env = std::getenv("UNIVIRT_CEPH_POOL");
  univirt::sdsctl::RbdSettings settings;
  settings.conf = conf;
  univirt::sdsctl::RbdBackend backend(settings);
  PoolContext pool{.name = "bench-rbd",
                   .type = univirt::sdsctl::PoolType::CephRbd,
                   .rbd_pool = pool_env != nullptr ? pool_env : "rbd"};
  const std::string prefix = fmt::format("bench-{}", ::getpid());
  fmt::print("RBD (Ceph pool '{}', {}):\n", pool.rbd_pool, conf);
  auto start = Clock::now();
  check(backend.checkStorage(pool), "connect");
  fmt::print("  connect                 {:8.1f} ms\n", secondsSince(start) * 1000);

  start = Clock::now();
  for (int i = 0; i < operations; ++i) {
    check(backend.createDisk(pool, fmt::format("{}-disk{}", prefix, i), 10ULL << 30, "raw"),
          "rbd create");
  }
  fmt::print("  create raw 10G          {:8.1f} operations/s\n", operations / secondsSince(start));

  start = Clock::now();
  for (int i = 0; i < operations; ++i) {
    check(backend.createExternalSnapshot(pool, prefix + "-disk0", fmt::format("snap{}", i)),
          "rbd snapshot");
  }
  fmt::print("  snapshot                {:8.1f} operations/s\n", operations / secondsSince(start));

  // A 4 MiB disk image (imported from a file of 0x5a bytes) for clones and copies.
  const fs::path file = fs::temp_directory_path() / (prefix + ".raw");
  std::ofstream(file, std::ios::binary) << std::string(4 << 20, 'Z');
  PoolContext files{.name = "files", .type = univirt::sdsctl::PoolType::Dir};
  check(backend.createImage(pool, prefix + "-image", files, file, "qcow2"), "rbd image");
  fs::remove(file);
  start = Clock::now();
  for (int i = 0; i < operations; ++i) {
    check(backend.createDiskFromImage(pool, fmt::format("{}-clone{}", prefix, i), pool,
                                      prefix + "-image", false),
          "rbd clone");
  }
  fmt::print("  clone (snapshot clone)  {:8.1f} operations/s\n", operations / secondsSince(start));

  check(backend.createDiskFromImage(pool, prefix + "-data", pool, prefix + "-image", true),
        "rbd full copy");
  start = Clock::now();
  for (int i = 0; i < operations; ++i) {
    check(backend.cloneDisk(pool, prefix + "-data", fmt::format("{}-copy{}", prefix, i), ""),
          "rbd copy");
  }
  fmt::print("  copy (4 MiB of data)    {:8.1f} operations/s\n", operations / secondsSince(start));

  start = Clock::now();
  int removed = 0;
  for (int i = 0; i < operations; ++i) {
    for (const auto& name :
         {fmt::format("{}-clone{}", prefix, i), fmt::format("{}-copy{}", prefix, i),
          fmt::format("{}-disk{}", prefix, i)}) {
      check(backend.deleteDisk(pool, name), "rbd delete");
      ++removed;
    }
  }
  fmt::print("  delete                  {:8.1f} operations/s\n", removed / secondsSince(start));
  check(backend.deleteDisk(pool, prefix + "-data"), "rbd delete");
  check(backend.deleteImage(pool, prefix + "-image"), "rbd delete image");
  benchRbdFullCopy(backend, settings, pool, prefix, megabytes);
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
  if (const char* conf = std::getenv("UNIVIRT_CEPH_CONF"); conf != nullptr && fs::exists(conf)) {
    benchRbd(conf, operations, megabytes);
  } else {
    fmt::print("RBD: skipped (set UNIVIRT_CEPH_CONF to a cluster's ceph.conf)\n");
  }
  return 0;
}
