// OpenApiV2Endpoint (openapi_v2.h): content negotiation, the per-snapshot cache and the
// caching headers of /openapi/v2, as kube-openapi's handler serves them.

#include <algorithm>
#include <cctype>
#include <ctime>
#include <vector>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "kube-lite/openapi_v2.h"
#include "kube-lite/openapi_v2_protobuf.h"

namespace univirt::kubelite {

namespace {

enum class Format { Json, Protobuf, NotAcceptable };

std::string trim(std::string text) {
  auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  text.erase(text.begin(), std::find_if_not(text.begin(), text.end(), space));
  text.erase(std::find_if_not(text.rbegin(), text.rend(), space).base(), text.end());
  return text;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    out.push_back(trim(text.substr(start, end == std::string::npos ? end : end - start)));
    if (end == std::string::npos) {
      return out;
    }
    start = end + 1;
  }
}

// The first Accept clause, by quality, that JSON or the protobuf form satisfies; JSON wins a
// wildcard, as in kube-openapi. No Accept header at all means JSON.
Format negotiate(const std::string& accept) {
  if (trim(accept).empty()) {
    return Format::Json;
  }
  struct Clause {
    std::string media;
    double quality;
  };
  std::vector<Clause> clauses;
  for (const auto& part : split(accept, ',')) {
    auto params = split(part, ';');
    Clause clause{params[0], 1.0};
    std::transform(clause.media.begin(), clause.media.end(), clause.media.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (size_t i = 1; i < params.size(); ++i) {
      if (params[i].rfind("q=", 0) == 0) {
        clause.quality = std::strtod(params[i].c_str() + 2, nullptr);
      }
    }
    if (clause.quality > 0) {
      clauses.push_back(clause);
    }
  }
  std::stable_sort(clauses.begin(), clauses.end(),
                   [](const Clause& a, const Clause& b) { return a.quality > b.quality; });
  for (const auto& clause : clauses) {
    if (clause.media == "application/json" || clause.media == "application/*" ||
        clause.media == "*/*") {
      return Format::Json;
    }
    if (clause.media == kOpenApiV2Protobuf || clause.media == kOpenApiV2ProtobufAlias) {
      return Format::Protobuf;
    }
  }
  return Format::NotAcceptable;
}

// Quoted SHA-512 of the body in upper-case hex, as kube-openapi computes its ETag.
std::string etagOf(const std::string& body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(body.data(), body.size(), digest, &size, EVP_sha512(), nullptr);
  std::string hex = "\"";
  for (unsigned int i = 0; i < size; ++i) {
    hex += fmt::format("{:02X}", digest[i]);
  }
  return hex + "\"";
}

std::string httpDate(util::Clock::WallTime when) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  size_t length = std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return std::string(text, length);
}

// If-None-Match: "*" or a list of (possibly weak) entity tags.
bool matchesEtag(const std::string& if_none_match, const std::string& etag) {
  for (auto tag : split(if_none_match, ',')) {
    if (tag.rfind("W/", 0) == 0) {
      tag = tag.substr(2);
    }
    if (tag == "*" || tag == etag) {
      return true;
    }
  }
  return false;
}

}  // namespace

util::Result<std::shared_ptr<const OpenApiV2Endpoint::Encoded>> OpenApiV2Endpoint::encoded(
    const RegistrySnapshot& snap, const std::string& minor, util::Clock::WallTime now) {
  std::lock_guard lock(mu_);
  if (current_ && current_->snap == snap && current_->minor == minor) {
    return current_;
  }
  auto built = std::make_shared<Encoded>();
  built->snap = snap;
  built->minor = minor;
  // Stored objects may hold invalid UTF-8 (YAML bodies are not checked); the dump replaces it,
  // and the protobuf is encoded from the parsed dump, because Go's proto3 decoder rejects
  // invalid UTF-8 in string fields.
  built->json =
      openApiV2Document(snap, minor).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto protobuf = encodeOpenApiV2Protobuf(nlohmann::json::parse(built->json));
  if (!protobuf) {
    return protobuf.error();
  }
  built->json_etag = etagOf(built->json);
  built->protobuf = std::move(*protobuf);
  built->protobuf_etag = etagOf(built->protobuf);
  built->last_modified = httpDate(now);
  current_ = built;
  return current_;
}

util::Result<OpenApiV2Response> OpenApiV2Endpoint::serve(const Request& req,
                                                         const RegistrySnapshot& snap,
                                                         const std::string& minor, bool legacy_path,
                                                         util::Clock::WallTime now) {
  Format format = legacy_path ? Format::Protobuf : negotiate(req.header("accept"));
  OpenApiV2Response response;
  if (format == Format::NotAcceptable) {
    response.status = 406;
    return response;
  }
  auto doc = encoded(snap, minor, now);
  if (!doc) {
    return doc.error();
  }
  bool protobuf = format == Format::Protobuf;
  const std::string& etag = protobuf ? (*doc)->protobuf_etag : (*doc)->json_etag;
  // Not the '@' spelling: '@' is no token character, and client-go refuses a response whose
  // Content-Type Go's mime.ParseMediaType cannot parse.
  response.content_type = protobuf ? kOpenApiV2ProtobufAlias : "application/json";
  response.headers = {{"ETag", etag},
                      {"Last-Modified", (*doc)->last_modified},
                      {"Vary", "Accept"},
                      {"X-Varied-Accept", req.header("accept")}};
  if (matchesEtag(req.header("if-none-match"), etag)) {
    response.status = 304;
    return response;
  }
  response.body = protobuf ? (*doc)->protobuf : (*doc)->json;
  return response;
}

}  // namespace univirt::kubelite
