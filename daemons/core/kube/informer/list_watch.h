#pragma once

// What an informer lists and watches: one resource, all namespaces or one, and selectors.
// The same selectors go to the list and to the watch, so an object that stops matching
// arrives as DELETED and one that starts matching as ADDED (kube-api-semantics.md §2.5).

#include <stop_token>
#include <string>

#include "core/kube/client.h"

namespace univirt::kube {

struct ListWatch {
  Client* client = nullptr;  // not owned; outlives the informer
  ResourceRef resource;
  std::string namespace_name;  // empty: all namespaces
  std::string label_selector;
  std::string field_selector;

  util::Result<ObjectList> list(std::stop_token stop) const {
    ListOptions options;
    options.label_selector = label_selector;
    options.field_selector = field_selector;
    return client->list(resource, namespace_name, options, std::move(stop));
  }

  util::Result<void> watch(const std::string& resource_version, std::int64_t timeout_seconds,
                           const WatchCallback& callback, std::stop_token stop) const {
    WatchOptions options;
    options.label_selector = label_selector;
    options.field_selector = field_selector;
    options.resource_version = resource_version;
    options.allow_bookmarks = true;
    options.timeout_seconds = timeout_seconds;
    return client->watch(resource, namespace_name, options, callback, std::move(stop));
  }
};

}  // namespace univirt::kube
