#include "core/virt/virt_error.h"

#include <cerrno>
#include <mutex>
#include <utility>

#include <fmt/format.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

namespace univirt::virt {
namespace {

using util::ErrorCode;

struct CodeMapping {
  int libvirt_code;
  ErrorCode code;
};

// What a caller should do about each libvirt error (style.md §4: InvalidArgument, AlreadyExists
// and PermissionDenied fail the request; Unavailable, Timeout, Conflict retry; NotFound during a
// delete counts as done). Codes not listed map to Internal. Two codes also depend on where
// they come from; see mapErrorCode().
constexpr CodeMapping kCodeMappings[] = {
    // The object is not there: a delete of it is already done.
    {VIR_ERR_NO_DOMAIN, ErrorCode::NotFound},
    {VIR_ERR_NO_NETWORK, ErrorCode::NotFound},
    {VIR_ERR_NO_STORAGE_POOL, ErrorCode::NotFound},
    {VIR_ERR_NO_STORAGE_VOL, ErrorCode::NotFound},
    {VIR_ERR_NO_NODE_DEVICE, ErrorCode::NotFound},
    {VIR_ERR_NO_INTERFACE, ErrorCode::NotFound},
    {VIR_ERR_NO_NWFILTER, ErrorCode::NotFound},
    {VIR_ERR_NO_SECRET, ErrorCode::NotFound},
    {VIR_ERR_NO_DOMAIN_SNAPSHOT, ErrorCode::NotFound},
    {VIR_ERR_NO_DOMAIN_METADATA, ErrorCode::NotFound},
    {VIR_ERR_NO_DOMAIN_CHECKPOINT, ErrorCode::NotFound},
    {VIR_ERR_NO_DOMAIN_BACKUP, ErrorCode::NotFound},
    {VIR_ERR_NO_NWFILTER_BINDING, ErrorCode::NotFound},
    {VIR_ERR_NO_NETWORK_PORT, ErrorCode::NotFound},
    {VIR_ERR_DEVICE_MISSING, ErrorCode::NotFound},  // detach of a device that is not attached

    // Only the dedicated codes: libvirt's config layer reports duplicate domain, pool, network
    // and snapshot names as the generic VIR_ERR_OPERATION_FAILED, which stays Internal.
    {VIR_ERR_DOM_EXIST, ErrorCode::AlreadyExists},
    {VIR_ERR_NETWORK_EXIST, ErrorCode::AlreadyExists},
    {VIR_ERR_STORAGE_VOL_EXIST, ErrorCode::AlreadyExists},
    {VIR_ERR_STORAGE_POOL_BUILT, ErrorCode::AlreadyExists},
    {VIR_ERR_NETWORK_PORT_EXIST, ErrorCode::AlreadyExists},

    // The request itself cannot succeed as asked; retrying the same request fails the same way.
    {VIR_ERR_INVALID_ARG, ErrorCode::InvalidArgument},
    {VIR_ERR_XML_ERROR, ErrorCode::InvalidArgument},
    {VIR_ERR_XML_DETAIL, ErrorCode::InvalidArgument},
    {VIR_ERR_XML_INVALID_SCHEMA, ErrorCode::InvalidArgument},
    {VIR_ERR_CONFIG_UNSUPPORTED, ErrorCode::InvalidArgument},
    {VIR_ERR_NO_SUPPORT, ErrorCode::InvalidArgument},
    {VIR_ERR_ARGUMENT_UNSUPPORTED, ErrorCode::InvalidArgument},
    {VIR_ERR_OPERATION_UNSUPPORTED, ErrorCode::InvalidArgument},
    {VIR_ERR_OS_TYPE, ErrorCode::InvalidArgument},
    {VIR_ERR_NO_NAME, ErrorCode::InvalidArgument},
    {VIR_ERR_NO_OS, ErrorCode::InvalidArgument},
    {VIR_ERR_NO_SOURCE, ErrorCode::InvalidArgument},
    {VIR_ERR_NO_TARGET, ErrorCode::InvalidArgument},
    {VIR_ERR_INVALID_MAC, ErrorCode::InvalidArgument},
    {VIR_ERR_CPU_INCOMPATIBLE, ErrorCode::InvalidArgument},
    {VIR_ERR_MIGRATE_UNSAFE, ErrorCode::InvalidArgument},
    {VIR_ERR_SNAPSHOT_REVERT_RISKY, ErrorCode::InvalidArgument},
    {VIR_ERR_OVERFLOW, ErrorCode::InvalidArgument},
    {VIR_ERR_MULTIPLE_DOMAINS, ErrorCode::InvalidArgument},
    // "Requested operation is not valid": the object is in the wrong state (starting a running
    // domain, destroying a stopped one, undefining a domain that has snapshots). Not Conflict:
    // Conflict is retryable, and retrying does not change the state; the request fails with
    // libvirt's explanation and the user decides.
    {VIR_ERR_OPERATION_INVALID, ErrorCode::InvalidArgument},

    // libvirtd or the connection to it is gone or broken: try again after reconnecting.
    {VIR_ERR_NO_CONNECT, ErrorCode::Unavailable},
    {VIR_ERR_INVALID_CONN, ErrorCode::Unavailable},
    {VIR_ERR_RPC, ErrorCode::Unavailable},
    {VIR_ERR_AUTH_UNAVAILABLE, ErrorCode::Unavailable},
    {VIR_ERR_SYSTEM_ERROR, ErrorCode::Unavailable},

    // Something else holds the object or the job right now.
    {VIR_ERR_OPERATION_TIMEOUT, ErrorCode::Timeout},  // e.g. cannot acquire state change lock
    {VIR_ERR_AGENT_UNRESPONSIVE, ErrorCode::Timeout},
    {VIR_ERR_AGENT_UNSYNCED, ErrorCode::Timeout},
    {VIR_ERR_RESOURCE_BUSY, ErrorCode::Conflict},
    {VIR_ERR_BLOCK_COPY_ACTIVE, ErrorCode::Conflict},
    {VIR_ERR_OPERATION_ABORTED, ErrorCode::Conflict},

    {VIR_ERR_AUTH_FAILED, ErrorCode::PermissionDenied},
    {VIR_ERR_AUTH_CANCELLED, ErrorCode::PermissionDenied},
    {VIR_ERR_ACCESS_DENIED, ErrorCode::PermissionDenied},
    {VIR_ERR_OPERATION_DENIED, ErrorCode::PermissionDenied},  // write on a read-only connection
};

struct DomainName {
  int domain;
  std::string_view name;
};

// virErrorDomain → the suffix of its VIR_FROM_ constant, lower-case.
constexpr DomainName kDomainNames[] = {
    {VIR_FROM_NONE, "none"},
    {VIR_FROM_XEN, "xen"},
    {VIR_FROM_XEND, "xend"},
    {VIR_FROM_XENSTORE, "xenstore"},
    {VIR_FROM_SEXPR, "sexpr"},
    {VIR_FROM_XML, "xml"},
    {VIR_FROM_DOM, "dom"},
    {VIR_FROM_RPC, "rpc"},
    {VIR_FROM_PROXY, "proxy"},
    {VIR_FROM_CONF, "conf"},
    {VIR_FROM_QEMU, "qemu"},
    {VIR_FROM_NET, "net"},
    {VIR_FROM_TEST, "test"},
    {VIR_FROM_REMOTE, "remote"},
    {VIR_FROM_OPENVZ, "openvz"},
    {VIR_FROM_XENXM, "xenxm"},
    {VIR_FROM_STATS_LINUX, "stats_linux"},
    {VIR_FROM_LXC, "lxc"},
    {VIR_FROM_STORAGE, "storage"},
    {VIR_FROM_NETWORK, "network"},
    {VIR_FROM_DOMAIN, "domain"},
    {VIR_FROM_UML, "uml"},
    {VIR_FROM_NODEDEV, "nodedev"},
    {VIR_FROM_XEN_INOTIFY, "xen_inotify"},
    {VIR_FROM_SECURITY, "security"},
    {VIR_FROM_VBOX, "vbox"},
    {VIR_FROM_INTERFACE, "interface"},
    {VIR_FROM_ONE, "one"},
    {VIR_FROM_ESX, "esx"},
    {VIR_FROM_PHYP, "phyp"},
    {VIR_FROM_SECRET, "secret"},
    {VIR_FROM_CPU, "cpu"},
    {VIR_FROM_XENAPI, "xenapi"},
    {VIR_FROM_NWFILTER, "nwfilter"},
    {VIR_FROM_HOOK, "hook"},
    {VIR_FROM_DOMAIN_SNAPSHOT, "domain_snapshot"},
    {VIR_FROM_AUDIT, "audit"},
    {VIR_FROM_SYSINFO, "sysinfo"},
    {VIR_FROM_STREAMS, "streams"},
    {VIR_FROM_VMWARE, "vmware"},
    {VIR_FROM_EVENT, "event"},
    {VIR_FROM_LIBXL, "libxl"},
    {VIR_FROM_LOCKING, "locking"},
    {VIR_FROM_HYPERV, "hyperv"},
    {VIR_FROM_CAPABILITIES, "capabilities"},
    {VIR_FROM_URI, "uri"},
    {VIR_FROM_AUTH, "auth"},
    {VIR_FROM_DBUS, "dbus"},
    {VIR_FROM_PARALLELS, "parallels"},
    {VIR_FROM_DEVICE, "device"},
    {VIR_FROM_SSH, "ssh"},
    {VIR_FROM_LOCKSPACE, "lockspace"},
    {VIR_FROM_INITCTL, "initctl"},
    {VIR_FROM_IDENTITY, "identity"},
    {VIR_FROM_CGROUP, "cgroup"},
    {VIR_FROM_ACCESS, "access"},
    {VIR_FROM_SYSTEMD, "systemd"},
    {VIR_FROM_BHYVE, "bhyve"},
    {VIR_FROM_CRYPTO, "crypto"},
    {VIR_FROM_FIREWALL, "firewall"},
    {VIR_FROM_POLKIT, "polkit"},
    {VIR_FROM_THREAD, "thread"},
    {VIR_FROM_ADMIN, "admin"},
    {VIR_FROM_LOGGING, "logging"},
    {VIR_FROM_XENXL, "xenxl"},
    {VIR_FROM_PERF, "perf"},
    {VIR_FROM_LIBSSH, "libssh"},
    {VIR_FROM_RESCTRL, "resctrl"},
    {VIR_FROM_FIREWALLD, "firewalld"},
    {VIR_FROM_DOMAIN_CHECKPOINT, "domain_checkpoint"},
    {VIR_FROM_TPM, "tpm"},
    {VIR_FROM_BPF, "bpf"},
    {VIR_FROM_CH, "ch"},
};

void ignoreError(void* /*user_data*/, virErrorPtr /*error*/) {}

}  // namespace

LibvirtError takeLastError() {
  LibvirtError copy;
  virErrorPtr last = virGetLastError();
  if (last == nullptr) {
    return copy;
  }
  copy.code = last->code;
  copy.domain = last->domain;
  copy.int1 = last->int1;
  copy.message = last->message != nullptr ? last->message : "";
  virResetLastError();
  return copy;
}

util::ErrorCode mapErrorCode(const LibvirtError& error) {
  // A system error is an errno: a refused permission stays refused on retry; anything else
  // (no socket, connection reset, I/O error) is the environment and may recover.
  if (error.code == VIR_ERR_SYSTEM_ERROR && (error.int1 == EACCES || error.int1 == EPERM)) {
    return ErrorCode::PermissionDenied;
  }
  // The RPC layer raises "client socket is closed" and friends as internal errors: a lost
  // connection. Elsewhere an internal error is a libvirt or driver bug.
  if (error.code == VIR_ERR_INTERNAL_ERROR &&
      (error.domain == VIR_FROM_RPC || error.domain == VIR_FROM_REMOTE)) {
    return ErrorCode::Unavailable;
  }
  for (const CodeMapping& mapping : kCodeMappings) {
    if (mapping.libvirt_code == error.code) {
      return mapping.code;
    }
  }
  return ErrorCode::Internal;
}

std::string_view errorDomainName(int domain) {
  for (const DomainName& entry : kDomainNames) {
    if (entry.domain == domain) {
      return entry.name;
    }
  }
  return "unknown";
}

util::Error toError(const LibvirtError& error) {
  if (error.code == VIR_ERR_OK) {
    return util::Error{ErrorCode::Internal, "libvirt call failed without reporting an error"};
  }
  std::string_view message = error.message;
  if (message.empty()) {
    message = "no message";
  }
  return util::Error{mapErrorCode(error), fmt::format("libvirt error from '{}': {}",
                                                      errorDomainName(error.domain), message)};
}

util::Error lastError(std::string_view context) {
  return toError(takeLastError()).withContext(context);
}

void silenceLibvirtErrorOutput() {
  static std::once_flag once;
  std::call_once(once, [] { virSetErrorFunc(nullptr, &ignoreError); });
}

}  // namespace univirt::virt
