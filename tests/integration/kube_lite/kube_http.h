#pragma once

// KubeHttp: a small HTTPS client for talking to kube-lite directly in tests (raw API requests
// and watch streams), so tests can assert exact status codes, headers and bodies.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <istream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "integration/kube_lite/kube_lite_process.h"

namespace Poco::Net {
class HTTPClientSession;
}

namespace univirt::testing {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::multimap<std::string, std::string> headers;  // lower-case names

  nlohmann::json json() const;
  std::string header(const std::string& lower_name) const;
};

struct HttpAuth {
  std::string token;        // bearer token (empty: none)
  std::string client_cert;  // PEM paths for x509 authentication
  std::string client_key;
};

// A watch (or any chunked) response read line by line on a background thread.
class LineStream {
 public:
  LineStream(std::unique_ptr<Poco::Net::HTTPClientSession> session, std::istream& body, int status,
             std::string content_type);
  ~LineStream();

  int status() const { return status_; }
  const std::string& contentType() const { return content_type_; }
  // The next line, or nullopt when the stream ended or the timeout passed.
  std::optional<std::string> nextLine(std::chrono::milliseconds timeout);
  std::optional<nlohmann::json> nextEvent(std::chrono::milliseconds timeout);
  // True once the server ended the stream (unread lines stay readable).
  bool ended(std::chrono::milliseconds timeout);

 private:
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
  int status_;
  std::string content_type_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> lines_;  // guarded by mu_
  bool done_ = false;              // guarded by mu_
  std::thread reader_;
};

class KubeHttp {
 public:
  explicit KubeHttp(const KubeLiteProcess& server);
  KubeHttp(const KubeLiteProcess& server, HttpAuth auth);

  HttpResponse request(const std::string& method, const std::string& path,
                       const std::string& body = "",
                       const std::string& content_type = "application/json",
                       const std::string& accept = "application/json");
  HttpResponse get(const std::string& path, const std::string& accept = "application/json") {
    return request("GET", path, "", "", accept);
  }
  HttpResponse post(const std::string& path, const nlohmann::json& body) {
    return request("POST", path, body.dump());
  }
  HttpResponse put(const std::string& path, const nlohmann::json& body) {
    return request("PUT", path, body.dump());
  }
  HttpResponse patch(const std::string& path, const nlohmann::json& body,
                     const std::string& content_type = "application/merge-patch+json") {
    return request("PATCH", path, body.dump(), content_type);
  }
  HttpResponse del(const std::string& path) { return request("DELETE", path); }

  std::unique_ptr<LineStream> stream(const std::string& path,
                                     const std::string& accept = "application/json");

 private:
  std::unique_ptr<Poco::Net::HTTPClientSession> session();

  const KubeLiteProcess& server_;
  HttpAuth auth_;
};

}  // namespace univirt::testing
