#include "sdsctl/pool_type.h"

#include <fmt/format.h>

namespace univirt::sdsctl {

const std::vector<std::string>& poolTypeNames() {
  static const std::vector<std::string> kNames = {"localfs", "dir", "cephfs", "nfs", "cephrbd"};
  return kNames;
}

util::Result<PoolType> parsePoolType(std::string_view type) {
  if (type.empty() || type == "localfs" || type == "dir") {
    return PoolType::Dir;
  }
  if (type == "cephfs") {
    return PoolType::CephFs;
  }
  if (type == "nfs") {
    return PoolType::Nfs;
  }
  if (type == "cephrbd") {
    return PoolType::CephRbd;
  }
  return util::Error{util::ErrorCode::InvalidArgument,
                     fmt::format("pool type '{}' is unknown; use one of localfs, dir, cephfs, "
                                 "nfs, cephrbd",
                                 type)};
}

std::string_view poolTypeName(PoolType type) {
  switch (type) {
    case PoolType::Dir:
      return "localfs";
    case PoolType::CephFs:
      return "cephfs";
    case PoolType::Nfs:
      return "nfs";
    case PoolType::CephRbd:
      return "cephrbd";
  }
  return "localfs";
}

bool isMountedType(PoolType type) { return type == PoolType::CephFs || type == PoolType::Nfs; }

}  // namespace univirt::sdsctl
