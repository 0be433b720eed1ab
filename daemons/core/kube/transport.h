#pragma once

// HTTP(S) to one API server: TLS from a ClientConfig, a small pool of keep-alive connections,
// a client-side QPS/burst limit, and retries.
//
// Retry contract (client-go's, made explicit):
//   - 429 TooManyRequests and 5xx (except 501/505) are retried with jittered exponential
//     backoff; a Retry-After header (N seconds, or an HTTP-date: the time left until it, 0 once
//     it passed) replaces the backoff delay for that attempt, capped at max_retry_after.
//   - Connection failures before the request was sent (refused, unreachable, TLS handshake)
//     are retried for every method. Failures after it was sent are retried only for methods
//     that are idempotent (GET, HEAD, PUT, DELETE): a POST or PATCH may have been applied.
//   - Any other 4xx is final and returned at once.
//   - At most `max_attempts` attempts; then the last response (429/5xx) or an Unavailable
//     error is returned.
//   - A stop request returns Unavailable ("... was cancelled") at once, whether the request
//     waits (QPS limit, backoff) or is in flight: its connection is shut down (and not reused)
//     and it is not retried. For a stream, from the response head on, cancelling is the
//     stream's job (ResponseStream::cancel()).
// Non-2xx responses are returned as HttpResponse, not as errors: turning a Status body into a
// typed error is the Client's job (status.h). Only transport failures are util::Error.
// Poco exceptions never leave transport.cpp. The bearer token never appears in a log line.

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "core/kube/kubeconfig.h"
#include "core/util/backoff.h"
#include "core/util/clock.h"
#include "core/util/result.h"

namespace univirt::kube {

struct TransportOptions {
  // controller-runtime's defaults; client-go's bare 5/10 is too low for a node daemon that
  // writes status, Events and takes requests in bursts.
  double qps = 20.0;
  int burst = 30;
  std::chrono::milliseconds connect_timeout{10'000};
  // Per send/receive on the socket; a watch uses its own, longer idle timeout.
  std::chrono::milliseconds io_timeout{60'000};
  int max_attempts = 5;
  // 200 ms doubling to 10 s: five attempts span about 3 s, so a daemon that starts before the
  // API server fails fast enough to be restarted, yet rides out an API server restart.
  util::BackoffPolicy retry_backoff{std::chrono::milliseconds(200),
                                    std::chrono::milliseconds(10'000), 2.0, 0.2};
  // A server asking for longer than this is waited on for this long only.
  std::chrono::seconds max_retry_after{30};
  // Idle keep-alive connections kept for reuse.
  std::size_t max_idle_connections = 4;
  // The User-Agent header of this client's requests; empty = the process's (user_agent.h).
  // For a process that hosts more than one identity: a test running a daemon's code in-process
  // gives that code a client of its own as the daemon (userAgentFor("virtlet")), so the audit
  // log tells its requests from the test's own.
  std::string user_agent;
};

struct HttpRequest {
  std::string method = "GET";
  std::string target;  // path and query, e.g. "/api/v1/namespaces/default/pods?limit=500"
  std::string body;
  std::string content_type;  // for requests with a body
  std::string accept = "application/json";
  // Socket receive timeout for this request instead of TransportOptions::io_timeout.
  std::optional<std::chrono::milliseconds> receive_timeout;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string content_type;
  std::optional<std::chrono::seconds> retry_after;
};

// An open streaming response (a watch): lines are read as they arrive.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // The next line without its '\n'; std::nullopt when the server ended the stream cleanly;
  // an Unavailable error when the connection broke or timed out (or cancel() was called).
  virtual util::Result<std::optional<std::string>> readLine() = 0;
  // Makes a readLine() blocked in another thread return. Safe to call from any thread.
  virtual void cancel() = 0;
};

struct StreamResponse {
  HttpResponse head;  // for non-2xx, head.body holds the whole body and stream is null
  std::unique_ptr<ResponseStream> stream;
};

class Transport {
 public:
  virtual ~Transport() = default;

  static util::Result<std::unique_ptr<Transport>> create(const ClientConfig& config,
                                                         const TransportOptions& options = {},
                                                         util::Clock& clock = util::Clock::real());

  // Sends one request with the retry contract above and reads the whole response.
  virtual util::Result<HttpResponse> send(const HttpRequest& request,
                                          std::stop_token stop = {}) = 0;
  // Like send(), but a 2xx response is returned unread as a stream.
  virtual util::Result<StreamResponse> openStream(const HttpRequest& request,
                                                  std::stop_token stop = {}) = 0;

  // Requests put on the wire (every attempt counts), for metrics and "no spin" tests.
  virtual std::uint64_t requestsSent() const = 0;
  const std::string& server() const { return server_; }

 protected:
  explicit Transport(std::string server) : server_(std::move(server)) {}

 private:
  std::string server_;
};

}  // namespace univirt::kube
