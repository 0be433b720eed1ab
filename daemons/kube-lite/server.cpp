#include "kube-lite/server.h"

#include <algorithm>
#include <functional>
#include <istream>
#include <limits>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/X509Certificate.h>
#include <Poco/ThreadPool.h>
#include <fmt/format.h>
#include <openssl/ssl.h>

#include "core/util/clock.h"
#include "core/util/log.h"

namespace univirt::kubelite {

namespace {

constexpr int kSendTimeoutSeconds = 30;       // a client that stops reading frees its thread
constexpr int kKeepAliveTimeoutSeconds = 90;  // kubectl and client-go reuse connections
constexpr long kDrainFactor = 8;              // oversized bodies up to 8x the limit are drained

bool anonymousPath(const std::string& path) {
  return path == "/version" || path == "/healthz" || path == "/readyz" || path == "/livez";
}

class PocoWriter final : public ResponseWriter {
 public:
  // `on_stream` runs when a stream (a watch) starts: its audit Event at stage ResponseStarted.
  PocoWriter(Poco::Net::HTTPServerResponse& resp, Poco::Net::StreamSocket& socket,
             std::function<void()> on_stream)
      : resp_(resp), socket_(socket), on_stream_(std::move(on_stream)) {}

  bool clientGone() override {
    try {
      return socket_.poll(Poco::Timespan(0),
                          Poco::Net::Socket::SELECT_READ | Poco::Net::Socket::SELECT_ERROR);
    } catch (const Poco::Exception&) {
      return true;
    }
  }

  void send(int status, const std::string& content_type, const std::string& body,
            const Headers& headers) override {
    resp_.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    resp_.setContentType(content_type);
    for (const auto& [name, value] : headers) {
      resp_.add(name, value);
    }
    resp_.setContentLength(static_cast<std::streamsize>(body.size()));
    resp_.sendBuffer(body.data(), body.size());
  }

  bool startStream(const std::string& content_type) override {
    resp_.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_OK);
    resp_.setContentType(content_type);
    resp_.setChunkedTransferEncoding(true);
    stream_ = &resp_.send();
    stream_->flush();
    if (on_stream_) {
      on_stream_();
    }
    return stream_->good();
  }

  bool writeLine(const std::string& line) override {
    if (stream_ == nullptr) {
      return false;
    }
    *stream_ << line << '\n';
    stream_->flush();
    return stream_->good();
  }

 private:
  Poco::Net::HTTPServerResponse& resp_;
  Poco::Net::StreamSocket& socket_;
  std::function<void()> on_stream_;
  std::ostream* stream_ = nullptr;
};

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  Handler(ApiServer& api, const TokenAuthenticator& auth, AuditLog* audit, long max_bytes)
      : api_(api), auth_(auth), audit_(audit), max_bytes_(max_bytes) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    try {
      serve(req, resp);
    } catch (const std::exception& e) {
      // The client went away mid-response, or a bug: keep the worker alive.
      log::debug("request ended with an exception", {{"err", e.what()}});
    }
  }

 private:
  void serve(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
    auto& impl = static_cast<Poco::Net::HTTPServerRequestImpl&>(req);
    impl.socket().setSendTimeout(Poco::Timespan(kSendTimeoutSeconds, 0));
    Request request;
    request.method = req.getMethod();
    const std::string& uri = req.getURI();
    size_t question = uri.find('?');
    request.path = percentDecode(uri.substr(0, question), false);
    if (question != std::string::npos) {
      request.query = parseQuery(std::string_view(uri).substr(question + 1));
    }
    for (const auto& [name, value] : req) {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      request.headers[lower] = value;
    }
    AuditRecord audit;
    AuditRequest who;
    who.method = request.method;
    who.uri = uri;
    who.user_agent = req.get("User-Agent", "");
    who.source_ip = impl.clientAddress().host().toString();
    who.received = util::Clock::real().wallNow();
    PocoWriter writer(resp, impl.socket(), [this, &who] {
      if (audit_ != nullptr) {
        audit_->recordWatchStarted(who);
      }
    });
    auto user = authenticate(req, impl);
    if (!user && !anonymousPath(request.path)) {
      audit.code = 401;
      ApiError err = unauthorized();
      writer.send(401, "application/json", err.toStatus().dump(), {});
      record(who, audit);
      return;
    }
    request.user = user ? user->name : "system:anonymous";
    who.username = request.user;
    if (user) {
      who.groups = user->groups;
    }
    if (req.getContentLength() > max_bytes_) {
      ApiError err = requestTooLarge(static_cast<size_t>(max_bytes_));
      audit.code = err.code;
      // Read (and drop) a moderately oversized body so the client gets to see the answer;
      // anything larger just loses its connection.
      if (req.getContentLength() <= kDrainFactor * max_bytes_) {
        req.stream().ignore(std::numeric_limits<std::streamsize>::max());
      }
      resp.setKeepAlive(false);
      writer.send(err.code, "application/json", err.toStatus().dump(), {});
      record(who, audit);
      return;
    }
    std::istream& in = req.stream();
    char buffer[8192];
    while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
      request.body.append(buffer, static_cast<size_t>(in.gcount()));
      if (static_cast<long>(request.body.size()) > max_bytes_) {
        ApiError err = requestTooLarge(static_cast<size_t>(max_bytes_));
        audit.code = err.code;
        resp.setKeepAlive(false);
        writer.send(err.code, "application/json", err.toStatus().dump(), {});
        record(who, audit);
        return;
      }
    }
    audit = api_.handle(request, writer);
    record(who, audit);
  }

  std::optional<UserInfo> authenticate(Poco::Net::HTTPServerRequest& req,
                                       Poco::Net::HTTPServerRequestImpl& impl) {
    if (req.has("Authorization")) {
      return auth_.authenticate(req.get("Authorization"));
    }
    if (!impl.secure()) {
      return std::nullopt;
    }
    try {
      Poco::Net::SecureStreamSocket secure(impl.socket());
      if (!secure.havePeerCertificate()) {
        return std::nullopt;
      }
      // OpenSSL verified the chain against our CA during the handshake.
      Poco::Net::X509Certificate cert = secure.peerCertificate();
      UserInfo user{cert.commonName(), {}};
      std::string org = cert.subjectName(Poco::Net::X509Certificate::NID_ORGANIZATION_NAME);
      if (!org.empty()) {
        user.groups.push_back(org);
      }
      return user;
    } catch (const Poco::Exception&) {
      return std::nullopt;
    }
  }

  void record(const AuditRequest& who, const AuditRecord& audit) {
    if (audit_ != nullptr) {
      audit_->record(who, audit);
    }
  }

  ApiServer& api_;
  const TokenAuthenticator& auth_;
  AuditLog* audit_;
  long max_bytes_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(ApiServer& api, const TokenAuthenticator& auth, AuditLog* audit, long max_bytes)
      : api_(api), auth_(auth), audit_(audit), max_bytes_(max_bytes) {}

  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(api_, auth_, audit_, max_bytes_);  // Poco takes ownership
  }

 private:
  ApiServer& api_;
  const TokenAuthenticator& auth_;
  AuditLog* audit_;
  long max_bytes_;
};

}  // namespace

Server::Server(ServerOptions options, ApiServer& api, const TokenAuthenticator& auth,
               AuditLog* audit)
    : options_(std::move(options)), api_(api), auth_(auth), audit_(audit) {}

Server::~Server() { stop(); }

util::Status Server::start() {
  try {
    pool_ = std::make_unique<Poco::ThreadPool>(4, options_.max_threads, 60);
    Poco::Net::Context::Ptr context;
    if (!options_.insecure_http) {
      Poco::Net::initializeSSL();
      Poco::Net::Context::Params params;
      params.privateKeyFile = options_.certs.serving_key;
      params.certificateFile = options_.certs.serving_cert;
      params.caLocation = options_.certs.ca_cert;
      // RELAXED: ask for a client certificate and verify it if sent; tokens need none.
      params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
      params.loadDefaultCAs = false;
      params.cipherList = "HIGH:!aNULL:!MD5";
      context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
      context->enableSessionCache(true, "univirt-kube-lite");
      context->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                                Poco::Net::Context::PROTO_TLSV1 |
                                Poco::Net::Context::PROTO_TLSV1_1);
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options_.certs.ca_cert.c_str());
      if (names != nullptr) {
        SSL_CTX_set_client_CA_list(context->sslContext(), names);
      }
    }
    int port = options_.port;
    for (const auto& address : options_.bind_addresses) {
      Poco::Net::SocketAddress where(address, static_cast<Poco::UInt16>(port));
      std::unique_ptr<Poco::Net::ServerSocket> socket;
      if (options_.insecure_http) {
        socket = std::make_unique<Poco::Net::ServerSocket>(where, 128);
      } else {
        socket = std::make_unique<Poco::Net::SecureServerSocket>(where, 128, context);
      }
      port = socket->address().port();
      if (bound_port_ == 0) {
        bound_port_ = port;
      }
      auto* params = new Poco::Net::HTTPServerParams;  // owned by the HTTPServer (AutoPtr)
      params->setMaxThreads(options_.max_threads);
      params->setMaxQueued(options_.max_threads);
      params->setKeepAlive(true);
      params->setKeepAliveTimeout(Poco::Timespan(kKeepAliveTimeoutSeconds, 0));
      params->setTimeout(Poco::Timespan(kKeepAliveTimeoutSeconds, 0));
      params->setMaxKeepAliveRequests(0);
      auto server = std::make_unique<Poco::Net::HTTPServer>(
          new Factory(api_, auth_, audit_, options_.max_request_bytes), *pool_, *socket, params);
      server->start();
      servers_.push_back(std::move(server));
    }
  } catch (const Poco::Exception& e) {
    return util::Error{util::ErrorCode::Unavailable,
                       fmt::format("kube-lite cannot listen: {}", e.displayText())};
  }
  return util::ok();
}

void Server::stop() {
  for (auto& server : servers_) {
    server->stopAll(true);
  }
  servers_.clear();
  if (pool_) {
    pool_->joinAll();
    pool_.reset();
  }
}

}  // namespace univirt::kubelite
