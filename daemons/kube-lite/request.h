#pragma once

// Request/ResponseWriter: the HTTP exchange as the API layer sees it, independent of Poco so the
// API logic can be driven directly (server.cpp adapts Poco to these).

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace univirt::kubelite {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;    // first value of each parameter, decoded
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string user;

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  bool has(const std::string& param) const { return query.count(param) != 0; }
  std::string param(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  }
};

class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  virtual void send(int status, const std::string& content_type, const std::string& body,
                    const Headers& headers) = 0;
  // Starts a chunked 200 response; false when the client is already gone.
  virtual bool startStream(const std::string& content_type) = 0;
  // Writes `line` + "\n" as one flushed chunk; false when the client is gone.
  virtual bool writeLine(const std::string& line) = 0;
  // True when the client closed its side of a streaming connection (checked between events:
  // a watch client never sends anything after its request, so readable means closed).
  virtual bool clientGone() { return false; }
};

// Decodes an application/x-www-form-urlencoded query string ('+' is a space, as Go's
// url.ParseQuery reads it). The first value of a repeated parameter wins.
std::map<std::string, std::string> parseQuery(std::string_view query);
std::string percentDecode(std::string_view text, bool plus_is_space);

// strconv.ParseBool: 1, t, T, TRUE, true, True.
bool parseBoolParam(const std::string& value);

}  // namespace univirt::kubelite
