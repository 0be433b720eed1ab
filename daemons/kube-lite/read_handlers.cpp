// GET of one object and LIST (plain JSON or Table), kube-api-semantics.md §2.4, §2.6, §2.18.

#include <fmt/format.h>

#include "kube-lite/api_server.h"
#include "kube-lite/list_options.h"
#include "kube-lite/table.h"

namespace univirt::kubelite {

using nlohmann::json;

namespace {

bool wantsTable(const Request& req) {
  return req.header("accept").find("as=Table") != std::string::npos;
}

IncludeObject includeObject(const Request& req) {
  std::string value = req.param("includeObject");
  if (value == "None") {
    return IncludeObject::None;
  }
  if (value == "Object") {
    return IncludeObject::Object;
  }
  return IncludeObject::Metadata;
}

}  // namespace

void ApiServer::handleGet(const Request& req, const Target& target, Reply reply) {
  auto object = store_.get(keyOf(target, target.name));
  if (!object) {
    sendError(reply, notFound(target.type->names(), target.name));
    return;
  }
  json result = served(*target.type, std::move(*object));
  if (wantsTable(req)) {
    json table = buildTable(*target.type, {result}, includeObject(req), true, clock_.wallNow());
    table["metadata"]["resourceVersion"] = result["metadata"].value("resourceVersion", "");
    sendJson(reply, 200, table, kTableContentType);
    return;
  }
  sendJson(reply, 200, result);
}

void ApiServer::handleList(const Request& req, const Target& target, Reply reply) {
  ListOptions options;
  if (auto err = parseListOptions(req, *target.type, false, options)) {
    sendError(reply, *err);
    return;
  }
  std::string rv = req.param("resourceVersion");
  if (req.param("resourceVersionMatch") == "Exact" && std::stoll(rv) != store_.currentRv()) {
    // Only the current state is kept; older exact snapshots are "compacted".
    sendError(reply,
              expired(fmt::format("too old resource version: {} ({})", rv, store_.currentRv())));
    return;
  }
  std::string ns = target.type->namespaced ? target.ns : "";
  ListPage page = store_.list(target.type->storageKey(), ns, options.continue_after, options.limit,
                              [&](const json& object) { return options.matches(object); });
  json metadata = {{"resourceVersion", std::to_string(page.rv)}};
  if (!page.continue_after.empty()) {
    metadata["continue"] = encodeContinue(page.rv, page.continue_after);
    if (!options.has_selectors) {
      metadata["remainingItemCount"] = page.remaining;
    }
  }
  std::vector<json> items;
  items.reserve(page.items.size());
  for (auto& item : page.items) {
    items.push_back(served(*target.type, std::move(item)));
  }
  if (wantsTable(req)) {
    json table = buildTable(*target.type, items, includeObject(req), true, clock_.wallNow());
    table["metadata"] = metadata;
    sendJson(reply, 200, table, kTableContentType);
    return;
  }
  json list = {{"kind", target.type->list_kind},
               {"apiVersion", target.type->apiVersion()},
               {"metadata", metadata},
               {"items", std::move(items)}};
  sendJson(reply, 200, list);
}

}  // namespace univirt::kubelite
