#include "integration/kube_lite/kube_http.h"

#include <sstream>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>

namespace univirt::testing {

using nlohmann::json;

json HttpResponse::json() const { return json::parse(body); }

std::string HttpResponse::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

KubeHttp::KubeHttp(const KubeLiteProcess& server)
    : KubeHttp(server, HttpAuth{server.token(), "", ""}) {}

KubeHttp::KubeHttp(const KubeLiteProcess& server, HttpAuth auth)
    : server_(server), auth_(std::move(auth)) {}

std::unique_ptr<Poco::Net::HTTPClientSession> KubeHttp::session() {
  if (server_.serverUrl().rfind("http:", 0) == 0) {
    return std::make_unique<Poco::Net::HTTPClientSession>(
        "127.0.0.1", static_cast<Poco::UInt16>(server_.port()));
  }
  Poco::Net::initializeSSL();
  Poco::Net::Context::Params params;
  params.caLocation = server_.caFile();
  // The chain is verified by OpenSSL against kube-lite's CA; kubectl and python check the
  // host name against the SANs in their own tests.
  params.verificationMode = Poco::Net::Context::VERIFY_NONE;
  params.loadDefaultCAs = false;
  params.certificateFile = auth_.client_cert;
  params.privateKeyFile = auth_.client_key;
  Poco::Net::Context::Ptr context =
      new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  return std::make_unique<Poco::Net::HTTPSClientSession>(
      "127.0.0.1", static_cast<Poco::UInt16>(server_.port()), context);
}

HttpResponse KubeHttp::request(const std::string& method, const std::string& path,
                               const std::string& body, const std::string& content_type,
                               const std::string& accept) {
  auto s = session();
  s->setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("Accept", accept);
  if (!auth_.token.empty()) {
    req.set("Authorization", "Bearer " + auth_.token);
  }
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    req.setContentType(content_type);
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  std::ostream& out = s->sendRequest(req);
  out << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = s->receiveResponse(resp);
  HttpResponse result;
  result.status = resp.getStatus();
  for (const auto& [name, value] : resp) {
    std::string lower = name;
    for (auto& c : lower) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    result.headers.emplace(lower, value);
  }
  Poco::StreamCopier::copyToString(in, result.body);
  return result;
}

std::unique_ptr<LineStream> KubeHttp::stream(const std::string& path, const std::string& accept) {
  auto s = session();
  s->setTimeout(Poco::Timespan(120, 0));
  Poco::Net::HTTPRequest req("GET", path, Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("Accept", accept);
  if (!auth_.token.empty()) {
    req.set("Authorization", "Bearer " + auth_.token);
  }
  s->sendRequest(req);
  Poco::Net::HTTPResponse resp;
  std::istream& body = s->receiveResponse(resp);
  int status = resp.getStatus();
  std::string content_type = resp.getContentType();
  return std::make_unique<LineStream>(std::move(s), body, status, content_type);
}

LineStream::LineStream(std::unique_ptr<Poco::Net::HTTPClientSession> session, std::istream& body,
                       int status, std::string content_type)
    : session_(std::move(session)), status_(status), content_type_(std::move(content_type)) {
  reader_ = std::thread([this, &body] {
    try {
      // The body stream belongs to the session, which lives as long as this object.
      std::istream& in = body;
      std::string line;
      while (std::getline(in, line)) {
        std::lock_guard lock(mu_);
        lines_.push_back(line);
        cv_.notify_all();
      }
    } catch (const std::exception&) {
      // The socket was closed under us (destructor) or the server went away.
    }
    std::lock_guard lock(mu_);
    done_ = true;
    cv_.notify_all();
  });
}

LineStream::~LineStream() {
  try {
    session_->socket().shutdown();
  } catch (const std::exception&) {
    // already closed
  }
  reader_.join();
}

std::optional<std::string> LineStream::nextLine(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !lines_.empty() || done_; });
  if (lines_.empty()) {
    return std::nullopt;
  }
  std::string line = std::move(lines_.front());
  lines_.pop_front();
  return line;
}

std::optional<json> LineStream::nextEvent(std::chrono::milliseconds timeout) {
  auto line = nextLine(timeout);
  if (!line) {
    return std::nullopt;
  }
  return json::parse(*line);
}

bool LineStream::ended(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return done_; });
  return done_;
}

}  // namespace univirt::testing
