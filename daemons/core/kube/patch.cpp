#include "core/kube/patch.h"

#include <fmt/format.h>

#include "core/util/log.h"

namespace univirt::kube {

util::Result<Object> updateWithRetry(Client& client, const ResourceRef& ref, const ObjectKey& key,
                                     const MutateFn& mutate, const UpdateOptions& options,
                                     std::stop_token stop) {
  int attempts = std::max(options.max_attempts, 1);
  for (int attempt = 1;; ++attempt) {
    auto current = client.get(ref, key, stop);
    if (!current) {
      return std::move(current).error();
    }
    auto mutation = mutate(*current);
    if (!mutation) {
      return std::move(mutation).error();
    }
    if (*mutation == Mutation::Unchanged) {
      return std::move(*current);
    }
    auto written = options.status ? client.updateStatus(ref, *current, stop)
                                  : client.update(ref, *current, stop);
    if (written || written.error().code != util::ErrorCode::Conflict) {
      return written;
    }
    if (attempt >= attempts) {
      return util::Error{util::ErrorCode::Conflict,
                         fmt::format("{} (still conflicting after {} attempts)",
                                     written.error().message, attempt)};
    }
    log::debug("update conflicted, retrying",
               {{"ns", key.namespace_name}, {"name", key.name}, {"attempt", attempt}});
  }
}

nlohmann::json createMergePatch(const nlohmann::json& original, const nlohmann::json& modified) {
  if (!original.is_object() || !modified.is_object()) {
    return modified;
  }
  nlohmann::json patch = nlohmann::json::object();
  for (const auto& [key, value] : original.items()) {
    if (!modified.contains(key)) {
      patch[key] = nullptr;
    }
  }
  for (const auto& [key, value] : modified.items()) {
    auto it = original.find(key);
    if (it == original.end()) {
      patch[key] = value;
      continue;
    }
    if (*it == value) {
      continue;
    }
    if (it->is_object() && value.is_object()) {
      patch[key] = createMergePatch(*it, value);
      continue;
    }
    patch[key] = value;
  }
  return patch;
}

}  // namespace univirt::kube
