#include "core/kube/transport.h"

#include <mutex>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include "core/kube/detail/rate_limiter.h"
#include "core/kube/detail/retry_after.h"
#include "core/kube/user_agent.h"
#include "core/util/log.h"

namespace univirt::kube {
namespace {

using util::Error;
using util::ErrorCode;
using util::Result;

struct ServerUrl {
  bool tls = true;
  std::string host;  // without brackets
  std::uint16_t port = 443;
  std::string base_path;  // e.g. "/k8s/clusters/c-1" behind a proxy; empty normally
};

Result<ServerUrl> parseServer(const std::string& server) {
  ServerUrl url;
  std::string_view rest = server;
  if (rest.rfind("https://", 0) == 0) {
    rest.remove_prefix(8);
  } else if (rest.rfind("http://", 0) == 0) {
    url.tls = false;
    url.port = 80;
    rest.remove_prefix(7);
  } else {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("API server '{}' must start with https:// or http://", server)};
  }
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    url.base_path = std::string(rest.substr(slash));
    while (!url.base_path.empty() && url.base_path.back() == '/') {
      url.base_path.pop_back();
    }
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("API server '{}' has an unterminated IPv6 address", server)};
    }
    url.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      port_text = authority.substr(close + 2);
    }
  } else {
    auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
    }
  }
  if (url.host.empty()) {
    return Error{ErrorCode::InvalidArgument, fmt::format("API server '{}' names no host", server)};
  }
  if (!port_text.empty()) {
    unsigned port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || port > 65535) {
        return Error{ErrorCode::InvalidArgument,
                     fmt::format("API server '{}' has an invalid port", server)};
      }
      port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port == 0 || port > 65535) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("API server '{}' has an invalid port", server)};
    }
    url.port = static_cast<std::uint16_t>(port);
  }
  return url;
}

std::string openSslErrors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!out.empty()) {
      out += "; ";
    }
    out += buffer;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

std::unique_ptr<BIO, BioDeleter> memoryBio(const std::string& pem) {
  return std::unique_ptr<BIO, BioDeleter>(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// All TLS material is loaded from memory straight into the SSL_CTX: nothing touches the disk.
Result<Poco::Net::Context::Ptr> makeTlsContext(const ClientConfig& config, const ServerUrl& url) {
  static std::once_flag init_once;
  std::call_once(init_once, [] { Poco::Net::initializeSSL(); });

  Poco::Net::Context::Params params;
  params.verificationMode = config.insecure_skip_tls_verify ? Poco::Net::Context::VERIFY_NONE
                                                            : Poco::Net::Context::VERIFY_RELAXED;
  params.loadDefaultCAs = config.ca_pem.empty() && !config.insecure_skip_tls_verify;
  params.cipherList = "HIGH:!aNULL:!MD5";
  Poco::Net::Context::Ptr context;
  try {
    context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    // Poco's own host check skips "localhost" names and ignores IP SANs; OpenSSL's (below)
    // does neither.
    context->enableExtendedCertificateVerification(false);
  } catch (const Poco::Exception& e) {
    return Error{ErrorCode::InvalidArgument,
                 fmt::format("cannot set up TLS for '{}': {}", config.server, e.displayText())};
  }
  SSL_CTX* ctx = context->sslContext();

  if (!config.ca_pem.empty()) {
    auto bio = memoryBio(config.ca_pem);
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    int added = 0;
    while (X509* raw = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      std::unique_ptr<X509, X509Deleter> cert(raw);
      if (X509_STORE_add_cert(store, cert.get()) == 1) {
        ++added;
      }
    }
    ERR_clear_error();  // the loop ends on an expected "no start line"
    if (added == 0) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("the certificate authority of {} holds no PEM certificate",
                               config.source.empty() ? config.server : config.source)};
    }
  }

  if (!config.client_cert_pem.empty()) {
    auto bio = memoryBio(config.client_cert_pem);
    std::unique_ptr<X509, X509Deleter> cert(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert || SSL_CTX_use_certificate(ctx, cert.get()) != 1) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("the client certificate of {} is not a PEM certificate: {}",
                               config.source, openSslErrors())};
    }
    // Intermediate certificates that follow the leaf go into the chain.
    while (X509* raw = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      if (SSL_CTX_add0_chain_cert(ctx, raw) != 1) {
        X509_free(raw);
      }
    }
    ERR_clear_error();
    auto key_bio = memoryBio(config.client_key_pem);
    std::unique_ptr<EVP_PKEY, PkeyDeleter> key(
        PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
    if (!key || SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("the client key of {} is not a PEM private key matching the client "
                               "certificate: {}",
                               config.source, openSslErrors())};
    }
  }

  if (!config.insecure_skip_tls_verify) {
    const std::string& name = config.tls_server_name.empty() ? url.host : config.tls_server_name;
    X509_VERIFY_PARAM* verify = SSL_CTX_get0_param(ctx);
    // An IP literal is checked against IP SANs, a name against DNS SANs.
    if (X509_VERIFY_PARAM_set1_ip_asc(verify, name.c_str()) != 1) {
      ERR_clear_error();
      X509_VERIFY_PARAM_set_hostflags(verify, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      if (X509_VERIFY_PARAM_set1_host(verify, name.c_str(), name.size()) != 1) {
        return Error{
            ErrorCode::InvalidArgument,
            fmt::format("cannot verify the API server as '{}': {}", name, openSslErrors())};
      }
    }
  }
  return context;
}

bool isIdempotent(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE";
}

bool isRetryableStatus(int status) {
  return status == 429 || (status >= 500 && status != 501 && status != 505);
}

std::optional<std::chrono::seconds> retryAfterOf(const Poco::Net::HTTPResponse& response,
                                                 util::Clock::WallTime now) {
  if (!response.has("Retry-After")) {
    return std::nullopt;
  }
  return detail::parseRetryAfter(response.get("Retry-After"), now);
}

using SessionPtr = std::unique_ptr<Poco::Net::HTTPClientSession>;

int socketOf(Poco::Net::HTTPClientSession& session) { return session.socket().impl()->sockfd(); }

// One attempt's socket, for a stop request to shut down: a request waiting for its response
// (a list the server is slow to answer, a watch waiting for its response head) then returns
// at once, as PocoStream::cancel() makes a blocked stream read return. The socket is attached
// once the request is written; a stop that comes earlier is applied then.
class InFlight {
 public:
  void attach(int fd) {
    std::lock_guard lock(mu_);
    fd_ = fd;
    if (cancelled_ && fd_ >= 0) {
      ::shutdown(fd_, SHUT_RDWR);
    }
  }
  // The attempt hands the socket on (to the idle pool or a stream) or closes it: later stops
  // must not touch it. Returns whether a stop already shut it down.
  bool detach() {
    std::lock_guard lock(mu_);
    fd_ = -1;
    return cancelled_;
  }
  void cancel() {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    if (fd_ >= 0) {
      ::shutdown(fd_, SHUT_RDWR);
    }
  }
  bool cancelled() const {
    std::lock_guard lock(mu_);
    return cancelled_;
  }

 private:
  mutable std::mutex mu_;
  int fd_ = -1;             // guarded by mu_
  bool cancelled_ = false;  // guarded by mu_
};

class PocoStream final : public ResponseStream {
 public:
  PocoStream(SessionPtr session, std::istream& body) : session_(std::move(session)), body_(body) {}

  util::Result<std::optional<std::string>> readLine() override {
    std::string line;
    try {
      if (std::getline(body_, line)) {
        return std::optional<std::string>(std::move(line));
      }
    } catch (const Poco::Exception& e) {
      return Error{ErrorCode::Unavailable,
                   fmt::format("the stream from the API server broke: {}", e.displayText())};
    } catch (const std::exception& e) {
      return Error{ErrorCode::Unavailable,
                   fmt::format("the stream from the API server broke: {}", e.what())};
    }
    if (cancelled_.load() || body_.bad()) {
      return Error{ErrorCode::Unavailable,
                   cancelled_.load() ? std::string("the stream was cancelled")
                                     : std::string("the stream from the API server broke")};
    }
    return std::optional<std::string>();
  }

  void cancel() override {
    cancelled_.store(true);
    // Only the kernel socket is shut down: the TLS state belongs to the reading thread, and
    // shutdown(2) makes its blocked read return without touching that state.
    int fd = socketOf(*session_);
    if (fd >= 0) {
      ::shutdown(fd, SHUT_RDWR);
    }
  }

 private:
  SessionPtr session_;
  std::istream& body_;
  std::atomic<bool> cancelled_{false};
};

class PocoTransport final : public Transport {
 public:
  PocoTransport(const ClientConfig& config, ServerUrl url, Poco::Net::Context::Ptr context,
                const TransportOptions& options, util::Clock& clock)
      : Transport(config.server),
        url_(std::move(url)),
        context_(std::move(context)),
        token_(config.token ? config.token : TokenSource::fixed({})),
        options_(options),
        user_agent_(options.user_agent.empty() ? userAgent() : options.user_agent),
        clock_(clock),
        limiter_(options.qps, options.burst, clock) {}

  util::Result<HttpResponse> send(const HttpRequest& request, std::stop_token stop) override {
    auto result = perform(request, std::move(stop), /*stream=*/false);
    if (!result) {
      return std::move(result).error();
    }
    return std::move(result->head);
  }

  util::Result<StreamResponse> openStream(const HttpRequest& request,
                                          std::stop_token stop) override {
    return perform(request, std::move(stop), /*stream=*/true);
  }

  std::uint64_t requestsSent() const override { return sent_.load(); }

 private:
  // The outcome of one attempt.
  struct Attempt {
    std::optional<StreamResponse> response;
    std::optional<Error> error;
    bool retryable = false;
  };

  SessionPtr newSession() {
    SessionPtr session;
    if (url_.tls) {
      session = std::make_unique<Poco::Net::HTTPSClientSession>(url_.host, url_.port, context_);
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(url_.host, url_.port);
    }
    session->setKeepAlive(true);
    return session;
  }

  // An idle keep-alive connection the server has closed reads as "readable" (EOF): drop it
  // before sending, so a non-idempotent request is never written into a dead connection.
  SessionPtr takeSession() {
    std::lock_guard lock(mu_);
    while (!idle_.empty()) {
      SessionPtr session = std::move(idle_.back());
      idle_.pop_back();
      try {
        if (session->connected() &&
            !session->socket().poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ)) {
          return session;
        }
      } catch (const Poco::Exception&) {
        // A socket that cannot even be polled is dead: fall through to the next one.
      }
    }
    return nullptr;
  }

  void returnSession(SessionPtr session) {
    std::lock_guard lock(mu_);
    if (idle_.size() < options_.max_idle_connections) {
      idle_.push_back(std::move(session));
    }
  }

  Attempt attemptOnce(const HttpRequest& request, bool stream, std::stop_token stop) {
    Attempt attempt;
    auto token = token_->token();
    if (!token) {
      attempt.error = token.error();
      attempt.retryable = true;  // the kubelet may be rotating the file right now
      return attempt;
    }
    SessionPtr session = takeSession();
    if (!session) {
      session = newSession();
    }
    // Declared after `session`, so the callback is gone before the session closes its socket.
    InFlight in_flight;
    std::stop_callback cancel_on_stop(stop, [&in_flight] { in_flight.cancel(); });
    auto timeout = request.receive_timeout.value_or(options_.io_timeout);
    session->setTimeout(Poco::Timespan(options_.connect_timeout.count() * 1000),
                        Poco::Timespan(options_.io_timeout.count() * 1000),
                        Poco::Timespan(timeout.count() * 1000));

    Poco::Net::HTTPRequest http(request.method, url_.base_path + request.target,
                                Poco::Net::HTTPMessage::HTTP_1_1);
    http.set("Accept", request.accept);
    http.set("User-Agent", user_agent_);
    if (!token->empty()) {
      http.set("Authorization", "Bearer " + *token);
    }
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
        request.method == "PATCH") {
      http.setContentType(request.content_type.empty() ? "application/json" : request.content_type);
      http.setContentLength(static_cast<std::streamsize>(request.body.size()));
    }
    bool sent = false;
    try {
      sent_.fetch_add(1);
      std::ostream& out = session->sendRequest(http);
      out << request.body;
      out.flush();
      sent = true;
      // Only once the request is written: Poco answers a failed write on a keep-alive
      // connection by sending the request again on a new one, which a stop that shut the old
      // socket down would then not reach. Writing is bounded by io_timeout; the wait for the
      // answer is what a stop must cut short.
      in_flight.attach(socketOf(*session));
      Poco::Net::HTTPResponse response;
      std::istream& in = session->receiveResponse(response);
      StreamResponse result;
      result.head.status = static_cast<int>(response.getStatus());
      result.head.content_type = response.getContentType();
      result.head.retry_after = retryAfterOf(response, clock_.wallNow());
      if (stream && result.head.status / 100 == 2) {
        // A stop from here on is the stream's to handle (Client::watch cancels it).
        in_flight.detach();
        result.stream = std::make_unique<PocoStream>(std::move(session), in);
        attempt.response = std::move(result);
        return attempt;
      }
      Poco::StreamCopier::copyToString(in, result.head.body);
      bool cancelled = in_flight.detach();
      if (!cancelled && response.getKeepAlive()) {
        returnSession(std::move(session));
      }
      attempt.retryable = isRetryableStatus(result.head.status);
      attempt.response = std::move(result);
      return attempt;
    } catch (const Poco::Exception& e) {
      if (in_flight.cancelled()) {
        return cancelledAttempt(request, sent);
      }
      // Messages name the server and the request line, never the headers (the token).
      attempt.retryable = !sent || isIdempotent(request.method);
      attempt.error =
          Error{ErrorCode::Unavailable,
                sent ? fmt::format("connection to API server '{}' failed during '{} {}': {}; the "
                                   "request may or may not have been applied",
                                   server(), request.method, request.target, e.displayText())
                     : fmt::format("cannot reach API server '{}' for '{} {}': {}", server(),
                                   request.method, request.target, e.displayText())};
      return attempt;
    } catch (const std::exception& e) {
      if (in_flight.cancelled()) {
        return cancelledAttempt(request, sent);
      }
      attempt.retryable = !sent || isIdempotent(request.method);
      attempt.error = Error{ErrorCode::Unavailable,
                            fmt::format("connection to API server '{}' failed during '{} {}': {}",
                                        server(), request.method, request.target, e.what())};
      return attempt;
    }
  }

  // A stop request ended the attempt; it is not retried.
  Attempt cancelledAttempt(const HttpRequest& request, bool sent) const {
    Attempt attempt;
    attempt.error = Error{
        ErrorCode::Unavailable,
        sent && !isIdempotent(request.method)
            ? fmt::format("'{} {}' was cancelled; the request may or may not have been applied",
                          request.method, request.target)
            : fmt::format("'{} {}' was cancelled", request.method, request.target)};
    return attempt;
  }

  util::Result<StreamResponse> perform(const HttpRequest& request, std::stop_token stop,
                                       bool stream) {
    util::Backoff backoff(options_.retry_backoff);
    for (int attempt_no = 1;; ++attempt_no) {
      if (!limiter_.acquire(stop)) {
        return Error{ErrorCode::Unavailable,
                     fmt::format("'{} {}' was cancelled", request.method, request.target)};
      }
      Attempt attempt = attemptOnce(request, stream, stop);
      bool last = attempt_no >= options_.max_attempts;
      if (!attempt.retryable || last) {
        if (attempt.error) {
          if (attempt.retryable) {
            return Error{attempt.error->code, fmt::format("{} (gave up after {} attempts)",
                                                          attempt.error->message, attempt_no)};
          }
          return std::move(*attempt.error);
        }
        return std::move(*attempt.response);
      }
      std::chrono::milliseconds delay = backoff.next();
      if (attempt.response && attempt.response->head.retry_after) {
        delay = std::min<std::chrono::milliseconds>(*attempt.response->head.retry_after,
                                                    options_.max_retry_after);
      }
      log::debug("retrying api request",
                 {{"method", request.method},
                  {"path", request.target},
                  {"attempt", attempt_no},
                  {"status", attempt.response ? attempt.response->head.status : 0},
                  {"err", attempt.error ? attempt.error->message : std::string()},
                  {"delay_ms", static_cast<std::int64_t>(delay.count())}});
      if (!clock_.sleepFor(delay, stop)) {
        return Error{ErrorCode::Unavailable,
                     fmt::format("'{} {}' was cancelled", request.method, request.target)};
      }
    }
  }

  const ServerUrl url_;
  const Poco::Net::Context::Ptr context_;
  const std::shared_ptr<TokenSource> token_;
  const TransportOptions options_;
  const std::string user_agent_;  // the process's or options.user_agent, for audit logs
  util::Clock& clock_;
  detail::RateLimiter limiter_;
  std::atomic<std::uint64_t> sent_{0};
  std::mutex mu_;
  std::vector<SessionPtr> idle_;  // guarded by mu_
};

}  // namespace

util::Result<std::unique_ptr<Transport>> Transport::create(const ClientConfig& config,
                                                           const TransportOptions& options,
                                                           util::Clock& clock) {
  auto url = parseServer(config.server);
  if (!url) {
    return std::move(url).error();
  }
  Poco::Net::Context::Ptr context;
  if (url->tls) {
    auto made = makeTlsContext(config, *url);
    if (!made) {
      return std::move(made).error();
    }
    context = *made;
  }
  return std::unique_ptr<Transport>(
      std::make_unique<PocoTransport>(config, std::move(*url), std::move(context), options, clock));
}

}  // namespace univirt::kube
