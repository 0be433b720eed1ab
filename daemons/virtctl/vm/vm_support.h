#pragma once

// Helpers every VirtualMachine handler shares: the connection, the domain lookup with the
// namespace-ownership check, the live/config/current flags of virsh, and common ParamSpecs.
//
// Ownership: the domain is named after the VirtualMachine's metadata.name (as upstream), so two
// namespaces could name one domain. univirt records the creating namespace in the domain's
// <metadata> (owner_metadata.h) and refuses every operation from another namespace. A domain
// with no record (defined outside univirt) belongs to the home namespace.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/lifecycle/operation.h"
#include "core/util/result.h"
#include "core/virt/connection.h"
#include "core/virt/domain.h"
#include "virtctl/vm/vm_operations.h"

namespace univirt::virtctl::vm {

util::Result<std::shared_ptr<virt::Connection>> connect(const VmOperationDeps& deps);

// The namespace that owns `domain`: its recorded owner, else `settings.home_namespace`.
util::Result<std::string> ownerOf(const virt::Domain& domain, const VmNodeSettings& settings);

// PermissionDenied unless `domain` belongs to `namespace_name`.
util::Status checkOwner(const virt::Domain& domain, const VmNodeSettings& settings,
                        std::string_view namespace_name);

struct OwnedDomain {
  std::shared_ptr<virt::Connection> connection;
  virt::Domain domain;
};

// Looks up the domain named after the invocation's object and checks that the invocation's
// namespace owns it. NotFound (with a sentence naming the domain) when it does not exist.
util::Result<OwnedDomain> openOwnedDomain(const VmOperationDeps& deps,
                                          const lifecycle::Invocation& invocation);

// virsh's --live/--config/--current (and --persistent where upstream has it) as
// VIR_DOMAIN_AFFECT_* flags. No flag means "current": live on a running domain, else config.
// InvalidArgument for --current together with --live or --config, as virsh.
util::Result<unsigned int> affectFlags(const lifecycle::Params& params, bool domain_active);

// " (takes effect at the next boot)" note for changes that reached only the persistent
// definition of a running domain; empty otherwise.
std::string nextBootNote(bool domain_active, unsigned int flags);

// The flag parameters of virsh commands that take them, in virsh's order.
std::vector<lifecycle::ParamSpec> affectParams(bool with_persistent, bool with_force);

// An option of the upstream command univirt does not implement: accepted by name, refused
// with `reason` when given.
lifecycle::ParamSpec unsupportedParam(std::string name, std::string reason);

// Validator for a file path embedded in a compound value: absolute and inside the path roots.
util::Status checkPathUnderRoots(std::string_view path,
                                 const lifecycle::ValidationContext& context);

// A "size" as virsh accepts it: a number of KiB ("1048576") or a number with a unit suffix
// (b, k/KiB, KB, m/MiB, MB, g/GiB, GB, t/TiB, TB). Returns bytes.
util::Result<std::uint64_t> parseScaledSize(std::string_view text, std::uint64_t default_unit);

// ParamValidator accepting what parseScaledSize accepts.
lifecycle::ParamValidator scaledSizeValidator(std::uint64_t default_unit);

// Reads a small text file (device XML, domain XML) named in a request.
util::Result<std::string> readTextFile(const std::string& path, std::string_view what);

// Writes `text` to `path` atomically (temp file + rename), creating the directory.
util::Status writeTextFile(const std::string& path, std::string_view text);

}  // namespace univirt::virtctl::vm
