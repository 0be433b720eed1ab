#pragma once

// The device files virtctl keeps per domain in /var/lib/libvirt/devices (crd-contract §8:
// `<vm>-disk-<dev>.xml`, `<vm>-nic-<mac>.xml`, `<vm>-nic-<mac>.cfg`, `<vm>-graphic.xml`). When a
// domain is undefined upstream's watcher runs `mv -f <devices>/<vm>-* /tmp` (§6 step 1): the
// files leave the directory, so a new domain of the same name does not inherit stale NIC or disk
// records, but stay around for an operator. Done here with filesystem calls (no shell), and only
// for those kinds of file: upstream's `<vm>-*` also took the files of a domain named
// `<vm>-<anything>` (undefining `web` moved `web-2-disk-vda.xml`).

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.h"

namespace univirt::libvirtwatcher {

// True when `file` (a name, no directory) is one of `domain`'s device files.
bool isDeviceFileOf(std::string_view file, std::string_view domain);

// Moves every device file of `domain` from `devices_dir` into `target_dir` (created if
// missing), replacing files of the same name there, as `mv -f` does; across file systems the
// file is copied and then removed. Returns the names moved. A missing `devices_dir` is no
// error (nothing to move); a file that cannot be moved is, after the others were tried.
util::Result<std::vector<std::string>> moveDeviceFiles(std::string_view domain,
                                                       const std::filesystem::path& devices_dir,
                                                       const std::filesystem::path& target_dir);

}  // namespace univirt::libvirtwatcher
