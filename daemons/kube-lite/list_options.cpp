#include "kube-lite/list_options.h"

#include <charconv>
#include <set>
#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/StreamCopier.h>
#include <fmt/format.h>

namespace univirt::kubelite {

using nlohmann::json;

namespace {

ApiError listOptionsInvalid(const std::string& field, const std::string& message) {
  ResourceName names{"", "", "ListOptions"};
  ApiError err = invalid(names, "", {{"FieldValueForbidden", message, field}});
  err.message = fmt::format("ListOptions.meta.k8s.io \"\" is invalid: {}: {}", field, message);
  err.details["group"] = "meta.k8s.io";
  return err;
}

}  // namespace

std::optional<ApiError> parseListOptions(const Request& req, const ResourceType& type, bool watch,
                                         ListOptions& out) {
  auto labels = LabelSelector::parse(req.param("labelSelector"));
  if (!labels) {
    return badRequest(labels.error().message);
  }
  out.labels = std::move(*labels);
  std::set<std::string> supported = {"metadata.name"};
  if (type.namespaced) {
    supported.insert("metadata.namespace");
  }
  supported.insert(type.extra_field_selectors.begin(), type.extra_field_selectors.end());
  auto fields = FieldSelector::parse(req.param("fieldSelector"), supported);
  if (!fields) {
    return badRequest(fields.error().message);
  }
  out.fields = std::move(*fields);
  out.has_selectors = !out.labels.empty() || !out.fields.empty();

  std::string rv = req.param("resourceVersion");
  std::string rvm = req.param("resourceVersionMatch");
  bool initial_events = parseBoolParam(req.param("sendInitialEvents"));
  if (!rvm.empty()) {
    if (rvm != "NotOlderThan" && rvm != "Exact") {
      return listOptionsInvalid("resourceVersionMatch",
                                fmt::format("Unsupported value: \"{}\": supported values: "
                                            "\"Exact\", \"NotOlderThan\"",
                                            rvm));
    }
    if (watch && !initial_events) {
      return listOptionsInvalid("resourceVersionMatch",
                                "Forbidden: resourceVersionMatch is forbidden for watch unless "
                                "sendInitialEvents is provided");
    }
    if (!watch && !req.has("resourceVersion")) {
      return listOptionsInvalid("resourceVersionMatch",
                                "Forbidden: resourceVersionMatch is forbidden unless "
                                "resourceVersion is provided");
    }
    if (rvm == "Exact" && rv == "0") {
      return listOptionsInvalid("resourceVersionMatch",
                                "Forbidden: resourceVersionMatch \"exact\" is forbidden for "
                                "resourceVersion \"0\"");
    }
  }
  if (initial_events) {
    if (!watch) {
      return listOptionsInvalid("sendInitialEvents",
                                "Forbidden: sendInitialEvents is forbidden for list");
    }
    if (rvm != "NotOlderThan") {
      return listOptionsInvalid("resourceVersionMatch",
                                "Forbidden: sendInitialEvents requires setting "
                                "resourceVersionMatch to NotOlderThan");
    }
    if (!parseBoolParam(req.param("allowWatchBookmarks"))) {
      return listOptionsInvalid("allowWatchBookmarks",
                                "Forbidden: sendInitialEvents requires allowWatchBookmarks=true");
    }
  }
  if (!rv.empty()) {
    long long parsed = 0;
    auto [ptr, ec] = std::from_chars(rv.data(), rv.data() + rv.size(), parsed);
    if (ec != std::errc() || ptr != rv.data() + rv.size() || parsed < 0) {
      return badRequest(fmt::format("invalid resource version: \"{}\"", rv));
    }
  }
  if (!watch) {
    std::string limit = req.param("limit");
    if (!limit.empty()) {
      long long parsed = 0;
      auto [ptr, ec] = std::from_chars(limit.data(), limit.data() + limit.size(), parsed);
      if (ec != std::errc() || ptr != limit.data() + limit.size()) {
        return badRequest(fmt::format("invalid limit: \"{}\"", limit));
      }
      out.limit = parsed > 0 ? static_cast<size_t>(parsed) : 0;
    }
    std::string token = req.param("continue");
    if (!token.empty()) {
      if (!rv.empty() && rv != "0") {
        return listOptionsInvalid("resourceVersion",
                                  "Forbidden: specifying resource version is not allowed when "
                                  "using continue");
      }
      if (!decodeContinue(token, out.continue_after)) {
        return badRequest("continue key is not valid: incorrect encoded start resourceVersion");
      }
    }
  }
  return std::nullopt;
}

std::string encodeContinue(int64_t rv, const std::string& after) {
  std::ostringstream out;
  {
    Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    encoder.rdbuf()->setLineLength(0);
    encoder << json{{"v", "meta.k8s.io/v1"}, {"rv", rv}, {"start", after}}.dump();
    encoder.close();
  }
  return out.str();
}

bool decodeContinue(const std::string& token, std::string& after) {
  try {
    std::istringstream in(token);
    Poco::Base64Decoder decoder(in, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    std::string text;
    Poco::StreamCopier::copyToString(decoder, text);
    json parsed = json::parse(text);
    after = parsed.at("start").get<std::string>();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace univirt::kubelite
