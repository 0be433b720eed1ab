#pragma once

// Every file sdsctl touches lies inside a pool directory. These checks run before any file is
// created, copied, overwritten or removed:
//  * an object name (disk, image, snapshot) is one plain path component: no '/', no '.' or
//    '..', no control characters, no leading '-' (it could read as an option to qemu-img);
//  * a path is resolved below the pool root component by component with lstat, and refused if
//    any component below the root is a symbolic link (a link could point out of the pool) or
//    if the result is not inside the root;
//  * an absolute path a user names (an image file) must be inside the pool root once
//    canonicalised and must name itself canonically (no symlink, no '..').

#include <filesystem>
#include <string>
#include <string_view>

#include "core/util/result.h"

namespace univirt::sdsctl {

// InvalidArgument naming `what` ("disk", "snapshot") unless `name` is one safe component.
util::Status checkObjectName(std::string_view name, std::string_view what);

// The canonical absolute root of a pool: `url` must be absolute and exist as a directory.
// Symbolic links in the root itself are resolved (an operator may point /var/lib/libvirt
// elsewhere); below it they are refused.
util::Result<std::filesystem::path> canonicalPoolRoot(std::string_view url, std::string_view pool);

// `root` / `relative` (one or more components, each checked with checkObjectName), with no
// existing component below `root` a symbolic link. Components that do not exist yet are
// fine (the file is about to be created). `pool` names the pool in messages.
util::Result<std::filesystem::path> resolveInPool(const std::filesystem::path& root,
                                                  std::string_view relative, std::string_view pool);

// An absolute path a request names: refused unless it is inside `root`, exists, and no
// component of it below the root is a symbolic link or '..'.
util::Result<std::filesystem::path> checkUserPathInPool(const std::filesystem::path& root,
                                                        std::string_view path,
                                                        std::string_view pool);

// True when `path` equals `root` or lies below it (both canonical, compared by component).
bool isInside(const std::filesystem::path& root, const std::filesystem::path& path);

}  // namespace univirt::sdsctl
