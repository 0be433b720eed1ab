#include "unit/core/lifecycle/test_table.h"

#include <string>

namespace univirt::lifecycle::testing {
namespace {

util::Result<Outcome> noHandler(const Invocation& /*invocation*/) {
  return util::Error{util::ErrorCode::Internal, "test handlers are never run"};
}

util::Result<Refreshed> noRefresh(const Invocation& /*invocation*/) { return Refreshed{}; }

// virt-install's --disk takes "path,opt=value"; only qcow2 and raw images are supported here.
util::Status checkDisk(const ParamValue& value, const ValidationContext& /*context*/) {
  const auto& text = std::get<std::string>(value);
  if (text.find("format=vmdk") != std::string::npos) {
    return util::Error{util::ErrorCode::InvalidArgument, "the disk format 'vmdk' is not supported"};
  }
  return util::ok();
}

}  // namespace

OperationTable makeTestTable() {
  OperationTable table;
  table.add({.kind = "VirtualMachine",
             .key = "startVM",
             .name_field = "domain",
             .params = {{.name = "domain", .type = ParamType::String, .required = true},
                        {.name = "paused",
                         .type = ParamType::Boolean,
                         .help = "leave the domain paused after starting it"},
                        {.name = "force-boot",
                         .type = ParamType::Boolean,
                         .help = "discard a managed save image and boot afresh"},
                        {.name = "pass-fds",
                         .type = ParamType::Unsupported,
                         .help = "a daemon cannot pass file descriptors to a domain"}},
             .summary = "Start a defined domain.",
             .handler = noHandler,
             .refresh = noRefresh});
  table.add(
      {.kind = "VirtualMachine",
       .key = "createAndStartVMFromISO",
       .name_field = "name",
       .params = {{.name = "memory",
                   .type = ParamType::Integer,
                   .required = true,
                   .min = 16,
                   .max = 1048576,
                   .help = "memory of the domain in MiB, as virt-install --memory"},
                  {.name = "vcpus", .type = ParamType::Integer, .min = 1, .max = 256},
                  {.name = "offset", .type = ParamType::Integer, .help = "any integer"},
                  {.name = "cdrom", .type = ParamType::Path, .help = "installation ISO"},
                  {.name = "disk",
                   .type = ParamType::String,
                   .help = "virt-install --disk: path,format=qcow2|raw",
                   .validator = checkDisk},
                  {.name = "network",
                   .type = ParamType::String,
                   .help = "\"type=bridge|l2bridge,source=<bridge>[,mac=..][,inbound=..][,"
                           "outbound=..]\", \"type=user\" or \"none\""},
                  {.name = "graphics",
                   .type = ParamType::String,
                   .help = "vnc,listen=0.0.0.0,port=5901,password=secret,keymap=en-us,"
                           "sharepolicy=allow-exclusive,websocket=5701,gl.enable=no,"
                           "rendernode=/dev/dri/by-path/pci-0000:00:02.0-render"},
                  {.name = "virt_type", .type = ParamType::String, .allowed = {"kvm", "qemu"}},
                  {.name = "os_variant",
                   .type = ParamType::String,
                   .help = "libosinfo short id of the guest OS, e.g. centos7.0; decides the "
                           "default devices and is looked up in the osinfo database of the node"},
                  {.name = "noautoconsole", .type = ParamType::Boolean},
                  {.name = "pxe", .type = ParamType::Unsupported}},
       .summary = "Define a domain from an installation ISO and start it.",
       .handler = noHandler,
       .refresh = noRefresh});
  table.add({.kind = "VirtualMachine",
             .key = "stopVM",
             .name_field = "domain",
             .params = {{.name = "mode",
                         .type = ParamType::String,
                         .allowed = {"acpi", "agent", "initctl", "signal", "paravirt"},
                         .help = "how the guest is asked to shut down"}},
             .summary = "Ask the guest to shut down.",
             .handler = noHandler,
             .refresh = noRefresh});
  table.add({.kind = "VirtualMachineDisk",
             .key = "createDisk",
             .name_field = "vol",
             .params = {{.name = "pool", .type = ParamType::String, .required = true},
                        {.name = "capacity", .type = ParamType::String, .required = true},
                        {.name = "format", .type = ParamType::String, .allowed = {"qcow2", "raw"}},
                        {.name = "type", .type = ParamType::String}},
             .summary = "Create a disk volume in a pool.",
             .handler = noHandler});
  table.add({.kind = "VirtualMachinePool",
             .key = "createPool",
             .name_field = "pool",
             .params = {{.name = "type",
                         .type = ParamType::String,
                         .required = true,
                         .allowed = {"localfs", "dir", "nfs", "cephfs", "cephrbd"}},
                        {.name = "url", .type = ParamType::Path, .required = true},
                        {.name = "content", .type = ParamType::String},
                        {.name = "auto-start", .type = ParamType::Boolean}},
             .summary = "Create a storage pool | with a pipe in its summary.",
             .handler = noHandler});
  return table;
}

ValidationContext testContext() { return {.path_roots = {"/var/lib/libvirt", "/mnt/usb/"}}; }

}  // namespace univirt::lifecycle::testing
