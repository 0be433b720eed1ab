// univirt-kubectl-get: lists one resource through core/kube's Client (paginated) and, with
// -w, keeps an Informer running and prints its events until SIGINT/SIGTERM. An example of the
// client API and a tool for poking at a cluster; not a kubectl replacement.
//
// The arguments are parsed by hand: the program has five flags, and CLI11 triggers GCC's
// -Wnull-dereference false positive under the ci preset (see daemons/kube-lite/CMakeLists.txt).

#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "core/kube/client.h"
#include "core/kube/informer/informer.h"
#include "core/kube/kubeconfig.h"

namespace {

using univirt::kube::Object;
using univirt::kube::ResourceRef;

constexpr std::string_view kUsage =
    "Usage: univirt-kubectl-get [--kubeconfig PATH] [--context C] [-n NS | -A] [-w] RESOURCE\n"
    "\n"
    "Lists RESOURCE with columns NAME, NAMESPACE and POWERSTATE (.spec.powerstate).\n"
    "RESOURCE is 'plural.group' (version v1, e.g. virtualmachines.doslab.io), a core\n"
    "resource ('configmaps'), or 'vm' for virtualmachines.doslab.io.\n"
    "\n"
    "  --kubeconfig PATH  kubeconfig file (default: KUBECONFIG, in-cluster, ~/.kube/config)\n"
    "  --context C        kubeconfig context instead of current-context\n"
    "  -n, --namespace NS namespace (default: the context's namespace)\n"
    "  -A, --all-namespaces  list across all namespaces\n"
    "  -w, --watch        after listing, print ADDED/MODIFIED/DELETED lines until SIGINT/SIGTERM\n"
    "  -h, --help         this text\n";

struct Arguments {
  std::string kubeconfig;
  std::string context;
  std::optional<std::string> namespace_name;
  bool all_namespaces = false;
  bool watch = false;
  bool help = false;
  std::string resource;
};

// Returns the arguments, or an error message for a usage error.
std::optional<Arguments> parseArguments(const std::vector<std::string_view>& args,
                                        std::string& error) {
  Arguments out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    auto value = [&](std::string& target) {
      if (i + 1 >= args.size()) {
        error = fmt::format("option '{}' needs a value", arg);
        return false;
      }
      target = std::string(args[++i]);
      return true;
    };
    if (arg == "-h" || arg == "--help") {
      out.help = true;
      return out;
    }
    if (arg == "--kubeconfig") {
      if (!value(out.kubeconfig)) {
        return std::nullopt;
      }
    } else if (arg == "--context") {
      if (!value(out.context)) {
        return std::nullopt;
      }
    } else if (arg == "-n" || arg == "--namespace") {
      std::string ns;
      if (!value(ns)) {
        return std::nullopt;
      }
      out.namespace_name = ns;
    } else if (arg == "-A" || arg == "--all-namespaces") {
      out.all_namespaces = true;
    } else if (arg == "-w" || arg == "--watch") {
      out.watch = true;
    } else if (arg.starts_with("-")) {
      error = fmt::format("unknown option '{}'", arg);
      return std::nullopt;
    } else if (out.resource.empty()) {
      out.resource = std::string(arg);
    } else {
      error = fmt::format("unexpected argument '{}': only one RESOURCE is allowed", arg);
      return std::nullopt;
    }
  }
  if (out.resource.empty()) {
    error = "missing RESOURCE";
    return std::nullopt;
  }
  if (out.all_namespaces && out.namespace_name) {
    error = "-n and -A cannot be combined";
    return std::nullopt;
  }
  return out;
}

ResourceRef resourceFor(const std::string& name) {
  if (name == "vm" || name == "vms" || name == "virtualmachine" || name == "virtualmachines") {
    return ResourceRef{"doslab.io", "v1", "virtualmachines", true};
  }
  std::size_t dot = name.find('.');
  if (dot == std::string::npos) {
    return ResourceRef{"", "v1", name, true};
  }
  return ResourceRef{name.substr(dot + 1), "v1", name.substr(0, dot), true};
}

std::string powerstateOf(const Object& object) {
  // contains()/operator[] rather than find(): GCC 12 at -O2 reports a false
  // -Wnull-dereference inside nlohmann's iterator for find() (object.cpp uses the same form).
  if (!object.is_object() || !object.contains("spec") || !object["spec"].is_object()) {
    return "<none>";
  }
  const Object& spec = object["spec"];
  if (!spec.contains("powerstate") || !spec["powerstate"].is_string()) {
    return "<none>";
  }
  return spec["powerstate"].get<std::string>();
}

void printRow(std::string_view prefix, const Object& object) {
  std::string ns = univirt::kube::namespaceOf(object);
  fmt::print("{}{:<32} {:<20} {}\n", prefix, univirt::kube::nameOf(object),
             ns.empty() ? "<none>" : ns, powerstateOf(object));
  std::fflush(stdout);
}

int run(const Arguments& arguments) {
  univirt::kube::LoadOptions load;
  load.kubeconfig_path = arguments.kubeconfig;
  load.context = arguments.context;
  auto config = univirt::kube::loadClientConfig(load);
  if (!config) {
    fmt::print(stderr, "univirt-kubectl-get: {}\n", config.error().message);
    return 1;
  }
  auto client = univirt::kube::Client::create(*config);
  if (!client) {
    fmt::print(stderr, "univirt-kubectl-get: {}\n", client.error().message);
    return 1;
  }
  ResourceRef ref = resourceFor(arguments.resource);
  std::string namespace_name;
  if (!arguments.all_namespaces) {
    namespace_name = arguments.namespace_name.value_or((*client)->defaultNamespace());
  }

  // SIGINT/SIGTERM are blocked before any thread starts, so every thread inherits the mask
  // and the main thread alone takes them with sigwait().
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto list = (*client)->list(ref, namespace_name);
  if (!list) {
    fmt::print(stderr, "univirt-kubectl-get: {}\n", list.error().message);
    return 1;
  }
  fmt::print("{:<32} {:<20} {}\n", "NAME", "NAMESPACE", "POWERSTATE");
  for (const Object& item : list->items) {
    printRow("", item);
  }
  std::fflush(stdout);
  if (!arguments.watch) {
    return 0;
  }

  univirt::kube::ListWatch list_watch;
  list_watch.client = client->get();
  list_watch.resource = ref;
  list_watch.namespace_name = namespace_name;
  univirt::kube::Informer informer(list_watch);
  // The table above already shows what the informer's first list delivers; only changes after
  // that are printed.
  univirt::kube::EventHandlers handlers;
  handlers.on_add = [&informer](const Object& object) {
    if (informer.hasSynced()) {
      printRow("ADDED     ", object);
    }
  };
  handlers.on_update = [](const Object&, const Object& object) { printRow("MODIFIED  ", object); };
  handlers.on_delete = [](const Object& object) { printRow("DELETED   ", object); };
  informer.addHandlers(std::move(handlers));
  informer.start();
  // Waits for SIGINT/SIGTERM; once the informer has synced, says so on stderr so callers (and
  // the integration test) know that every later change will be printed.
  bool reported_sync = false;
  while (true) {
    if (!reported_sync && informer.waitForSync(std::chrono::milliseconds(100))) {
      fmt::print(stderr, "univirt-kubectl-get: watching {} (synced)\n", ref.displayName());
      std::fflush(stderr);
      reported_sync = true;
    }
    timespec wait{reported_sync ? 1 : 0, 0};
    if (sigtimedwait(&signals, nullptr, &wait) >= 0) {
      break;
    }
  }
  informer.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  std::string error;
  std::optional<Arguments> arguments = parseArguments(args, error);
  if (!arguments) {
    fmt::print(stderr, "univirt-kubectl-get: {}\n\n{}", error, kUsage);
    return 2;
  }
  if (arguments->help) {
    fmt::print("{}", kUsage);
    return 0;
  }
  return run(*arguments);
}
