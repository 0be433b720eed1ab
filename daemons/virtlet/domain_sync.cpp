#include "virtlet/domain_sync.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>
#include <libvirt/libvirt.h>
#include <pugixml.hpp>
#include <sys/inotify.h>

#include "core/kube/object.h"
#include "core/kube/patch.h"
#include "core/util/log.h"
#include "core/virt/domain_xml.h"
#include "virtlet/kinds.h"
#include "virtlet/vm_object.h"

namespace univirt::virtlet {
namespace {

namespace fs = std::filesystem;
using util::ErrorCode;

constexpr std::string_view kXmlSuffix = ".xml";
constexpr int kUpdateAttempts = 4;
// Upstream's reason for a failure in virtlet's handlers (report_failure).
constexpr std::string_view kReasonVirtletError = "VirtletError";

bool isDomainFile(const std::string& name) {
  return name.size() > kXmlSuffix.size() && name.ends_with(kXmlSuffix) && name.front() != '.';
}

}  // namespace

DomainSync::DomainSync(kube::Client& client, ConnectionSource connect, DomainSyncOptions options,
                       util::Clock& clock)
    : client_(client),
      connect_(std::move(connect)),
      options_(std::move(options)),
      clock_(clock),
      recorder_(client, kube::EventSource{.component = "virtlet", .host = options_.node_name},
                clock),
      debouncer_(
          options_.debounce, [this](const std::string& name) { handle(name); }, clock),
      watcher_([this](const FsEvent& event) { onEvent(event); }) {}

DomainSync::~DomainSync() { stop(); }

util::Status DomainSync::start() {
  debouncer_.start();
  if (auto started = watcher_.start(); !started) {
    return started;
  }
  std::error_code ec;
  fs::create_directories(options_.config_dir, ec);
  auto watched = watcher_.watch(options_.config_dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE);
  if (!watched) {
    skipped_.warn(options_.config_dir, "domain directory not watched",
                  {{"dir", options_.config_dir}, {"error", watched.error().message}});
    return {};
  }
  queueAll();
  return {};
}

void DomainSync::stop() {
  watcher_.stop();
  debouncer_.stop();
}

void DomainSync::queueAll() {
  std::error_code ec;
  for (fs::directory_iterator it(options_.config_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string file = it->path().filename().string();
    if (isDomainFile(file) && it->is_regular_file(ec)) {
      debouncer_.submit(file.substr(0, file.size() - kXmlSuffix.size()));
    }
  }
}

void DomainSync::onEvent(const FsEvent& event) {
  if ((event.mask & IN_Q_OVERFLOW) != 0) {
    queueAll();
    return;
  }
  if (!isDomainFile(event.name)) {
    return;
  }
  debouncer_.submit(event.name.substr(0, event.name.size() - kXmlSuffix.size()));
}

void DomainSync::handle(const std::string& name) {
  auto synced = syncDomain(name);
  if (!synced) {
    log::warn("domain not synced", {{"domain", name}, {"error", synced.error().message}});
  }
}

util::Status DomainSync::syncDomain(const std::string& name) {
  const std::string path = fmt::format("{}/{}{}", options_.config_dir, name, kXmlSuffix);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    log::info("domain file removed", {{"domain", name}, {"path", path}});
    return {};
  }
  pugi::xml_document file;
  if (auto parsed = file.load_file(path.c_str()); !parsed) {
    skipped_.warn(path, "malformed domain XML skipped",
                  {{"path", path}, {"error", parsed.description()}});
    return {};
  }
  auto connection = connect_();
  if (!connection) {
    return connection.error();
  }
  auto domain = (*connection)->lookupDomain(name);
  if (!domain) {
    if (domain.error().code == ErrorCode::NotFound) {
      skipped_.warn(path, "domain file names no libvirt domain, skipped",
                    {{"path", path}, {"domain", name}});
      return {};
    }
    return domain.error();
  }
  skipped_.forget(path);
  auto facts = readDomainFacts(*domain);
  if (!facts) {
    return facts.error();
  }
  const std::string ns =
      facts->owner_namespace.empty() ? options_.home_namespace : facts->owner_namespace;
  const kube::ObjectKey key{ns, name};
  for (int attempt = 1; attempt <= kUpdateAttempts; ++attempt) {
    auto existing = client_.get(kVirtualMachines, key);
    if (!existing && existing.error().code == ErrorCode::NotFound) {
      auto created = client_.create(
          kVirtualMachines, newVmObject(key, options_.node_name, *facts, util::Clock::real()));
      if (created) {
        log::info("virtual machine created for domain", {{"ns", ns}, {"name", name}});
        return {};
      }
      if (created.error().code == ErrorCode::AlreadyExists ||
          created.error().code == ErrorCode::Conflict) {
        continue;  // made meanwhile: adopt or refresh it
      }
      return created.error();
    }
    if (!existing) {
      return existing.error();
    }
    const std::string host = kube::labelOf(*existing, kHostLabel);
    const bool mine = host == options_.node_name;
    if (!mine && !host.empty() && !facts->active) {
      log::info("domain defined here but its virtual machine is another node's, skipped",
                {{"ns", ns}, {"name", name}, {"host", host}});
      return {};
    }
    nlohmann::json updated = *existing;
    mergeDomainInto(updated, options_.node_name, *facts, !mine, util::Clock::real());
    auto written = client_.update(kVirtualMachines, updated);
    if (written) {
      log::info(mine ? "virtual machine refreshed from domain" : "virtual machine adopted",
                {{"ns", ns}, {"name", name}, {"previous_host", host}});
      return {};
    }
    if (written.error().code != ErrorCode::Conflict) {
      if (!written.error().retryable()) {
        reportFailure(key, fmt::format("the VirtualMachine could not be refreshed from domain "
                                       "'{}': {}",
                                       name, written.error().message));
      }
      return written.error();
    }
  }
  return util::Error{ErrorCode::Conflict,
                     fmt::format("virtual machine '{}/{}' kept changing while being synced from "
                                 "its domain; it is synced again on the next change",
                                 ns, name)};
}

void DomainSync::reportFailure(const kube::ObjectKey& key, const std::string& message) {
  const auto wall = clock_.wallNow();
  const std::int64_t epoch_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count();
  bool changed = false;
  auto written = kube::updateWithRetry(
      client_, kVirtualMachines, key, [&](kube::Object& vm) -> util::Result<kube::Mutation> {
        const nlohmann::json waiting = {{"reason", kReasonVirtletError}, {"message", message}};
        static const nlohmann::json::json_pointer kWaiting("/spec/status/conditions/state/waiting");
        if (vm.value(kWaiting, nlohmann::json()) == waiting) {
          return kube::Mutation::Unchanged;  // reported already
        }
        nlohmann::json& spec = vm["spec"];
        spec["status"] = {{"conditions", {{"state", {{"waiting", waiting}}}}}};
        spec["description"] = {{"lastOperationTimeStamp", epoch_ms}};
        changed = true;
        return kube::Mutation::Changed;
      });
  if (!written) {
    log::warn("virtlet error not reported",
              {{"ns", key.namespace_name}, {"name", key.name}, {"error", written.error().message}});
    return;
  }
  if (!changed) {
    return;
  }
  auto recorded =
      recorder_.record(*written, kube::EventType::Warning, kReasonVirtletError, message);
  if (!recorded) {
    log::warn("event not recorded", {{"name", key.name}, {"error", recorded.error().message}});
  }
}

}  // namespace univirt::virtlet
