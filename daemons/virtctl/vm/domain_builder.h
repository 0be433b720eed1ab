#pragma once

// createAndStartVMFromISO / createAndStartVMFromImage parameters → libvirt domain XML, the way
// virt-install would write it for the options univirt implements (virt_install_options.h).
// Pure: no libvirt, no files. The caller creates missing disk files and defines the domain.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/lifecycle/param_spec.h"
#include "core/util/result.h"
#include "virtctl/vm/virt_install_options.h"

namespace univirt::virtctl::vm {

struct BuildContext {
  std::string name;             // the domain name: the VirtualMachine's metadata.name
  std::string owner_namespace;  // recorded in <metadata>
  bool kvm_available = false;
  bool allow_qemu_fallback = false;
  std::string node_name;  // for messages
  std::string default_arch = "x86_64";
  bool from_image = false;  // createAndStartVMFromImage: boot the existing disk, no installer
};

struct DiskFile {
  std::string path;
  std::string format;
  std::uint64_t size_bytes = 0;  // 0: must already exist
};

struct BuiltDomain {
  std::string xml;
  std::string virt_type;                     // what the domain is defined as: kvm or qemu
  std::vector<DiskFile> disk_files;          // every writable disk; created when missing and sized
  std::vector<std::string> read_only_files;  // cdrom images: must exist
  bool autostart = false;
  std::vector<std::string> notes;  // sentences for the outcome message (e.g. kvm fallback)
  // The NIC to bind to an OVN logical switch once the domain is defined (type l3bridge; its
  // MAC is always set, random when the request had none).
  std::optional<NetworkOption> l3_nic;
};

util::Result<BuiltDomain> buildDomain(const lifecycle::Params& params, const BuildContext& context);

}  // namespace univirt::virtctl::vm
