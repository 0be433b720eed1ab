#pragma once

// The virt-install option strings upstream clients send in createAndStartVMFromISO, parsed into
// values (no libvirt, no I/O). Each parser accepts the sub-options univirt implements and
// refuses any other one by name, so nothing a user asked for is silently dropped.
//
//   disk     "/p/d.qcow2,format=qcow2" | "path=/p/d.qcow2,format=qcow2,bus=virtio,size=10"
//            | "none"   (size in GiB as virt-install; the file is created when missing)
//   network  "type=bridge,source=br0[,mac=52:54:00:..][,model=virtio][,inbound=..]" (upstream's
//            own format, not virt-install's) | "type=user" | "none"
//   graphics "vnc[,listen=127.0.0.1][,port=5901][,password=..]" | "spice,..." | "none"
//   memory   "1024" | "memory=1024[,maxmemory=2048]"  (MiB)
//   vcpus    "2" | "vcpus=2[,maxvcpus=4][,sockets=1][,cores=2][,threads=2]"
//   cpu      "host-passthrough" | "host-model" | "host" | "<model name>"
//   boot     "hd,cdrom[,menu=on]"
//   metadata "title=..,description=..,uuid=.."

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/util/result.h"

namespace univirt::virtctl::vm {

// "a,b=c,d" → {("a",""), ("b","c"), ("d","")}; has_value tells "b=" from "b".
struct InstallOption {
  std::string key;
  std::string value;
  bool has_value = false;
};
std::vector<InstallOption> splitInstallOptions(std::string_view text);

struct DiskOption {
  bool none = false;  // "none": no disk
  std::string path;
  std::string format;  // raw, qcow2, ...; empty: from the file name (.qcow2 → qcow2, else raw)
  std::string bus;     // virtio, scsi, sata, ide; empty: virtio for disks
  std::string device = "disk";              // disk | cdrom
  std::optional<std::uint64_t> size_bytes;  // size=N GiB (fractions allowed)
  std::string cache;                        // none, writeback, writethrough, directsync, unsafe
  std::string target;                       // target device name, e.g. vdb
  bool readonly = false;
  bool shareable = false;
};
util::Result<DiskOption> parseDiskOption(std::string_view text);

struct NetworkOption {
  bool none = false;
  std::string type;  // bridge | l2bridge | l3bridge | user
  std::string source;
  std::string switch_name;  // l3bridge: the OVN logical switch (vm/ovn_nics.h)
  std::string ip;           // l3bridge: a fixed address, or empty/"dynamic"
  std::string mac;          // empty: libvirt assigns one
  std::string model = "virtio";
  std::string vlan;
  std::string inbound;   // average KiB/s
  std::string outbound;  // average KiB/s
};
util::Result<NetworkOption> parseNetworkOption(std::string_view text);
bool isMacAddress(std::string_view text);

struct GraphicsOption {
  std::string type;  // vnc | spice | none
  std::string listen;
  std::optional<int> port;
  std::string password;
};
util::Result<GraphicsOption> parseGraphicsOption(std::string_view text);

struct MemoryOption {
  std::uint64_t memory_mib = 0;      // current (balloon) size
  std::uint64_t max_memory_mib = 0;  // <memory>; equals memory_mib unless maxmemory= is given
};
util::Result<MemoryOption> parseMemoryOption(std::string_view text);

struct VcpuOption {
  unsigned int vcpus = 1;
  unsigned int max_vcpus = 1;
  unsigned int sockets = 0;  // 0: no <topology>
  unsigned int cores = 0;
  unsigned int threads = 0;
};
util::Result<VcpuOption> parseVcpuOption(std::string_view text);

struct CpuOption {
  std::string mode;   // host-passthrough | host-model | custom
  std::string model;  // for custom
};
util::Result<CpuOption> parseCpuOption(std::string_view text);

struct BootOption {
  std::vector<std::string> devices;  // hd, cdrom, network, fd
  std::optional<bool> menu;
};
util::Result<BootOption> parseBootOption(std::string_view text);

struct MetadataOption {
  std::string name;
  std::string uuid;
  std::string title;
  std::string description;
};
util::Result<MetadataOption> parseMetadataOption(std::string_view text);

}  // namespace univirt::virtctl::vm
