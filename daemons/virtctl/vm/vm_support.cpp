#include "virtctl/vm/vm_support.h"

#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "core/virt/virt_error.h"
#include "virtctl/vm/owner_metadata.h"

namespace univirt::virtctl::vm {
namespace {

using lifecycle::ParamSpec;
using lifecycle::ParamType;
using util::Error;
using util::ErrorCode;

// A device XML or domain XML file larger than this is not what a request meant to name.
constexpr std::uintmax_t kMaxTextFileBytes = 4 << 20;

}  // namespace

util::Result<std::shared_ptr<virt::Connection>> connect(const VmOperationDeps& deps) {
  if (!deps.connect) {
    return Error{ErrorCode::Unavailable, "virtctl has no libvirt connection configured"};
  }
  return deps.connect();
}

util::Result<std::string> ownerOf(const virt::Domain& domain, const VmNodeSettings& settings) {
  char* raw = virDomainGetMetadata(domain.get(), VIR_DOMAIN_METADATA_ELEMENT, kMetadataUri,
                                   VIR_DOMAIN_AFFECT_CURRENT);
  if (raw == nullptr) {
    virt::LibvirtError error = virt::takeLastError();
    if (error.code == VIR_ERR_NO_DOMAIN_METADATA) {
      return settings.home_namespace;
    }
    return virt::toError(error).withContext(
        fmt::format("reading the owner of domain '{}'", domain.name()));
  }
  const std::string xml = virt::takeString(raw);
  const std::optional<VmMetadata> metadata = parseVmMetadata(xml);
  if (!metadata) {
    return settings.home_namespace;
  }
  return metadata->owner_namespace;
}

util::Status checkOwner(const virt::Domain& domain, const VmNodeSettings& settings,
                        std::string_view namespace_name) {
  auto owner = ownerOf(domain, settings);
  if (!owner) {
    return owner.error();
  }
  if (*owner != namespace_name) {
    return Error{ErrorCode::PermissionDenied,
                 fmt::format("domain '{}' on node '{}' belongs to the VirtualMachine in namespace "
                             "'{}'; a VirtualMachine of the same name in namespace '{}' cannot "
                             "manage it (choose another name)",
                             domain.name(), settings.node_name, *owner, namespace_name)};
  }
  return util::ok();
}

util::Result<OwnedDomain> openOwnedDomain(const VmOperationDeps& deps,
                                          const lifecycle::Invocation& invocation) {
  auto connection = connect(deps);
  if (!connection) {
    return connection.error();
  }
  auto domain = (*connection)->lookupDomain(invocation.name);
  if (!domain) {
    if (domain.error().code == ErrorCode::NotFound) {
      return Error{ErrorCode::NotFound, fmt::format("domain '{}' is not defined on node '{}'",
                                                    invocation.name, deps.settings.node_name)};
    }
    return domain.error();
  }
  if (auto owned = checkOwner(*domain, deps.settings, invocation.namespace_name); !owned) {
    return owned.error();
  }
  return OwnedDomain{std::move(*connection), std::move(*domain)};
}

util::Result<unsigned int> affectFlags(const lifecycle::Params& params, bool domain_active) {
  const bool current = params.flag("current");
  const bool live = params.flag("live");
  const bool config = params.flag("config");
  const bool persistent = params.flag("persistent");
  if (current && (live || config || persistent)) {
    return Error{ErrorCode::InvalidArgument,
                 "'current' cannot be combined with 'live', 'config' or 'persistent'"};
  }
  unsigned int flags = VIR_DOMAIN_AFFECT_CURRENT;
  if (live) {
    flags |= VIR_DOMAIN_AFFECT_LIVE;
  }
  if (config) {
    flags |= VIR_DOMAIN_AFFECT_CONFIG;
  }
  if (persistent) {
    // virsh: "make live change persistent" — the definition always, the running domain too.
    flags |= VIR_DOMAIN_AFFECT_CONFIG;
    if (domain_active) {
      flags |= VIR_DOMAIN_AFFECT_LIVE;
    }
  }
  return flags;
}

std::string nextBootNote(bool domain_active, unsigned int flags) {
  if (domain_active && (flags & VIR_DOMAIN_AFFECT_CONFIG) != 0 &&
      (flags & VIR_DOMAIN_AFFECT_LIVE) == 0) {
    return "the running domain is unchanged; the change takes effect at the next boot";
  }
  return {};
}

std::vector<ParamSpec> affectParams(bool with_persistent, bool with_force) {
  std::vector<ParamSpec> params;
  if (with_persistent) {
    params.push_back({.name = "persistent",
                      .type = ParamType::Boolean,
                      .help = "change the definition, and the running domain if it runs"});
  }
  params.push_back({.name = "config",
                    .type = ParamType::Boolean,
                    .help = "change the persistent definition (next boot)"});
  params.push_back(
      {.name = "live", .type = ParamType::Boolean, .help = "change the running domain"});
  params.push_back({.name = "current",
                    .type = ParamType::Boolean,
                    .help = "change the running domain if it runs, else the definition "
                            "(the default)"});
  if (with_force) {
    params.push_back({.name = "force",
                      .type = ParamType::Boolean,
                      .help = "accepted as upstream sends it; libvirt has no forced variant "
                              "of this change, so it has no effect"});
  }
  return params;
}

ParamSpec unsupportedParam(std::string name, std::string reason) {
  return {.name = std::move(name), .type = ParamType::Unsupported, .help = std::move(reason)};
}

util::Status checkPathUnderRoots(std::string_view path,
                                 const lifecycle::ValidationContext& context) {
  const std::filesystem::path candidate(path);
  if (!candidate.is_absolute()) {
    return Error{ErrorCode::InvalidArgument, fmt::format("path '{}' is not absolute", path)};
  }
  const std::string normal = candidate.lexically_normal().string();
  for (const std::string& root : context.path_roots) {
    const std::string root_normal = std::filesystem::path(root).lexically_normal().string();
    const std::string prefix = root_normal.ends_with('/') ? root_normal : root_normal + "/";
    if (normal == root_normal || normal.starts_with(prefix)) {
      return util::ok();
    }
  }
  return Error{ErrorCode::InvalidArgument,
               fmt::format("path '{}' is outside the allowed directories ({})", path,
                           fmt::join(context.path_roots, ", "))};
}

util::Result<std::uint64_t> parseScaledSize(std::string_view text, std::uint64_t default_unit) {
  std::uint64_t number = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(begin, end, number);
  if (ec != std::errc() || stop == begin) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("'{}' is not a size (a number, optionally with a unit such as "
                             "KiB, MiB, GiB)",
                             text)};
  }
  std::string unit(stop, end);
  for (char& c : unit) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  struct Unit {
    const char* name;
    std::uint64_t bytes;
  };
  constexpr std::uint64_t kKi = 1024;
  static constexpr Unit kUnits[] = {
      {"b", 1},
      {"bytes", 1},
      {"k", kKi},
      {"kib", kKi},
      {"kb", 1000},
      {"m", kKi * kKi},
      {"mib", kKi * kKi},
      {"mb", 1000 * 1000},
      {"g", kKi * kKi * kKi},
      {"gib", kKi * kKi * kKi},
      {"gb", 1000ULL * 1000 * 1000},
      {"t", kKi * kKi * kKi * kKi},
      {"tib", kKi * kKi * kKi * kKi},
      {"tb", 1000ULL * 1000 * 1000 * 1000},
  };
  std::uint64_t scale = default_unit;
  if (!unit.empty()) {
    scale = 0;
    for (const Unit& candidate : kUnits) {
      if (unit == candidate.name) {
        scale = candidate.bytes;
      }
    }
    if (scale == 0) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("'{}' has an unknown unit '{}' (use KiB, MiB, GiB or TiB)", text,
                               std::string(stop, end))};
    }
  }
  if (number > UINT64_MAX / scale) {
    return Error{ErrorCode::InvalidArgument, fmt::format("size '{}' is too large", text)};
  }
  return number * scale;
}

lifecycle::ParamValidator scaledSizeValidator(std::uint64_t default_unit) {
  return [default_unit](const lifecycle::ParamValue& value,
                        const lifecycle::ValidationContext&) -> util::Status {
    std::string text;
    if (const auto* number = std::get_if<std::int64_t>(&value)) {
      text = std::to_string(*number);
    } else if (const auto* string = std::get_if<std::string>(&value)) {
      text = *string;
    }
    auto parsed = parseScaledSize(text, default_unit);
    if (!parsed) {
      return parsed.error();
    }
    return util::ok();
  };
}

util::Result<std::string> readTextFile(const std::string& path, std::string_view what) {
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) {
    return Error{ErrorCode::NotFound,
                 fmt::format("cannot read {} '{}': {}", what, path, ec.message())};
  }
  if (size > kMaxTextFileBytes) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("{} '{}' is larger than {} bytes", what, path, kMaxTextFileBytes)};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{ErrorCode::NotFound, fmt::format("cannot open {} '{}'", what, path)};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

util::Status writeTextFile(const std::string& path, std::string_view text) {
  const std::filesystem::path target(path);
  std::error_code ec;
  std::filesystem::create_directories(target.parent_path(), ec);
  if (ec) {
    return Error{ErrorCode::Internal, fmt::format("cannot create directory '{}': {}",
                                                  target.parent_path().string(), ec.message())};
  }
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) {
      return Error{ErrorCode::Internal, fmt::format("cannot write file '{}'", temp)};
    }
  }
  std::filesystem::rename(temp, target, ec);
  if (ec) {
    return Error{ErrorCode::Internal,
                 fmt::format("cannot rename '{}' to '{}': {}", temp, path, ec.message())};
  }
  return util::ok();
}

}  // namespace univirt::virtctl::vm
