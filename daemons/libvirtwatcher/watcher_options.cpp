#include "libvirtwatcher/watcher_options.h"

namespace univirt::libvirtwatcher {
namespace {

const util::ConfigOption kOptions[] = {
    {.name = "libvirt-uri",
     .env = "UNIVIRT_LIBVIRT_URI",
     .flag = "--libvirt-uri",
     .default_value = "qemu:///system",
     .help = "libvirt connection whose domain events are watched (read-write: HA restarts "
             "start domains)"},
    {.name = "workers",
     .env = "UNIVIRT_WORKERS",
     .flag = "--workers",
     .type = util::OptionType::Int,
     .default_value = "4",
     .help = "domains refreshed in parallel on this many threads (one at a time per domain)",
     .min = 1,
     .max = 64},
    {.name = "coalesce-window",
     .env = "UNIVIRT_COALESCE_WINDOW",
     .flag = "--coalesce-window",
     .type = util::OptionType::Duration,
     .default_value = "50ms",
     .help = "events for one domain within this time after the first become one refresh "
             "(0: refresh at once)"},
    {.name = "ha-max-tries",
     .env = "UNIVIRT_HA_MAX_TRIES",
     .flag = "--ha-max-tries",
     .type = util::OptionType::Int,
     .default_value = "3",
     .help = "start attempts for a domain labelled 'ha' that stopped unexpectedly (0: no HA)",
     .min = 0,
     .max = 100},
    {.name = "ha-retry-delay",
     .env = "UNIVIRT_HA_RETRY_DELAY",
     .flag = "--ha-retry-delay",
     .type = util::OptionType::Duration,
     .default_value = "3s",
     .help = "pause between two HA start attempts of one domain"},
    {.name = "home-namespace",
     .env = "UNIVIRT_HOME_NAMESPACE",
     .flag = "--home-namespace",
     .default_value = "default",
     .help = "namespace of the VirtualMachine of a domain that records no owner (defined "
             "outside univirt)"},
    {.name = "devices-dir",
     .env = "UNIVIRT_DEVICES_DIR",
     .flag = "--devices-dir",
     .default_value = "/var/lib/libvirt/devices",
     .help = "virtctl's per-domain device files (<vm>-disk-*, <vm>-nic-*, <vm>-graphic.xml); "
             "those of an undefined domain are moved out (empty: never)"},
    {.name = "undefined-devices-dir",
     .env = "UNIVIRT_UNDEFINED_DEVICES_DIR",
     .flag = "--undefined-devices-dir",
     .default_value = "/tmp",
     .help = "where the device files of an undefined domain are moved (as upstream: /tmp)"},
    {.name = "ovn-nb",
     .env = "UNIVIRT_OVN_NB",
     .flag = "--ovn-nb",
     .default_value = "",
     .help = "OVN northbound database whose VM NIC bindings follow domain starts and stops "
             "(as virtctl's --ovn-nb: unix:PATH or tcp:HOST:PORT); empty: OVN off"},
    {.name = "ovs-db",
     .env = "UNIVIRT_OVS_DB",
     .flag = "--ovs-db",
     .default_value = "",
     .help = "this node's Open_vSwitch database, to link a started VM's OVS interface to its "
             "logical switch port (as virtctl's --ovs-db); empty: none"},
    {.name = "lock-file",
     .env = "UNIVIRT_LOCK_FILE",
     .flag = "--lock-file",
     .default_value = "/run/univirt/libvirtwatcher.lock",
     .help = "lock that keeps a second libvirtwatcher off this node; empty: no lock"},
};

}  // namespace

std::span<const util::ConfigOption> watcherOptions() { return kOptions; }

}  // namespace univirt::libvirtwatcher
