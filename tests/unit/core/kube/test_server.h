#pragma once

// A scripted HTTP(S) server on 127.0.0.1, port 0, for the transport's own tests: each request
// is recorded and answered by the test's handler. It exercises the real Poco client over real
// sockets; the API semantics themselves are tested against kube-lite (tests/integration).

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

namespace univirt::kube::testing {

struct RecordedRequest {
  std::string method;
  std::string uri;
  std::string body;
  std::string content_type;
  std::string authorization;
  std::string client;  // "ip:port" of the connection, to see keep-alive reuse
  // The live request, only while the handler runs (not in requests()).
  Poco::Net::HTTPServerRequest* live = nullptr;
};

using Handler =
    std::function<void(const RecordedRequest&, Poco::Net::HTTPServerResponse& response)>;

class TestServer {
 public:
  // Plain HTTP when `tls` is null, else HTTPS with that server context.
  explicit TestServer(Handler handler, Poco::Net::Context::Ptr tls = nullptr)
      : handler_(std::move(handler)) {
    Poco::Net::SocketAddress address("127.0.0.1", 0);
    Poco::Net::ServerSocket socket =
        tls ? Poco::Net::SecureServerSocket(address, 64, tls) : Poco::Net::ServerSocket(address);
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(8);
    params->setKeepAlive(true);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, params);
    server_->start();
  }
  ~TestServer() {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    changed_.notify_all();
    server_->stopAll(true);
  }

  std::uint16_t port() const { return port_; }
  std::string url(bool tls = false) const {
    return (tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_);
  }

  std::vector<RecordedRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

  // Handlers that stream use these to wait for the test; false when the server is closing.
  bool waitForGate(int gate) {
    std::unique_lock lock(mu_);
    changed_.wait_for(lock, std::chrono::seconds(20), [&] { return closing_ || gate_ >= gate; });
    return !closing_ && gate_ >= gate;
  }
  void openGate(int gate) {
    {
      std::lock_guard lock(mu_);
      gate_ = gate;
    }
    changed_.notify_all();
  }

 private:
  class Request final : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Request(TestServer& owner) : owner_(owner) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      RecordedRequest recorded;
      recorded.method = request.getMethod();
      recorded.uri = request.getURI();
      recorded.content_type = request.get("Content-Type", "");
      recorded.authorization = request.get("Authorization", "");
      recorded.client = request.clientAddress().toString();
      Poco::StreamCopier::copyToString(request.stream(), recorded.body);
      {
        std::lock_guard lock(owner_.mu_);
        owner_.requests_.push_back(recorded);
      }
      recorded.live = &request;
      owner_.handler_(recorded, response);
    }

   private:
    TestServer& owner_;
  };

  class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(TestServer& owner) : owner_(owner) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Request(owner_);
    }

   private:
    TestServer& owner_;
  };

  Handler handler_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  mutable std::mutex mu_;
  std::condition_variable changed_;        // guarded by mu_
  std::vector<RecordedRequest> requests_;  // guarded by mu_
  int gate_ = 0;                           // guarded by mu_
  bool closing_ = false;                   // guarded by mu_
};

// Replies with `status`, a JSON body and optional extra headers.
inline void reply(Poco::Net::HTTPServerResponse& response, int status, const std::string& body,
                  const std::map<std::string, std::string>& headers = {}) {
  response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  response.setContentType("application/json");
  for (const auto& [name, value] : headers) {
    response.set(name, value);
  }
  response.setContentLength(static_cast<std::streamsize>(body.size()));
  response.send() << body;
}

}  // namespace univirt::kube::testing
