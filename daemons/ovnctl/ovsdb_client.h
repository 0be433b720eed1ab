#pragma once

// A small OVSDB client (RFC 7047): JSON-RPC over a unix or TCP stream socket, in process.
// Every call opens its own connection, sends one request and reads the matching reply, so the
// client holds no state between calls and may be shared by threads. ovnctl uses one `transact`
// per operation: the database applies all of its operations or none of them.

#include <chrono>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/util/result.h"

namespace univirt::ovnctl {

// Where an ovsdb-server listens: "unix:/var/run/ovn/ovnnb_db.sock" or "tcp:HOST:PORT"
// (HOST may be a name such as kube-ovn's `ovn-nb.kube-system`, or an IPv6 address in []).
struct Endpoint {
  enum class Kind { Unix, Tcp };
  Kind kind = Kind::Unix;
  std::string path = {};  // Unix
  std::string host = {};  // Tcp
  int port = 0;           // Tcp

  std::string toString() const;
};

util::Result<Endpoint> parseEndpoint(std::string_view text);

// The JSON-RPC request line for `method` with `params` and `id`, as sent on the wire.
std::string encodeRequest(std::string_view method, const nlohmann::json& params, int id);

// Finds the end of the first complete JSON value in `buffer` (objects only, as OVSDB sends).
// Returns its length, or 0 when the value is not complete yet. Strings and escapes are
// honoured, so a '}' inside a string does not end the value.
std::size_t completeMessageLength(std::string_view buffer);

// Turns the reply of a transact into its per-operation results, or the error the database
// reported: the first failing operation's error and details, with its index. A "timed out"
// from a "wait" operation (the rows changed since they were read) is Conflict; constraint and
// referential-integrity violations are Conflict as well; anything else is Internal.
util::Result<nlohmann::json> decodeTransactReply(const nlohmann::json& reply,
                                                 const nlohmann::json& operations);

class OvsdbClient {
 public:
  OvsdbClient(Endpoint endpoint, std::string database,
              std::chrono::milliseconds timeout = std::chrono::seconds(10));

  const Endpoint& endpoint() const { return endpoint_; }
  const std::string& database() const { return database_; }

  // Runs `operations` (a JSON array of RFC 7047 operations) as one transaction. On success the
  // array of results, one per operation.
  util::Result<nlohmann::json> transact(const nlohmann::json& operations) const;

  // Any RPC: the whole reply message ({"id", "result", "error"}); only transport failures are
  // errors here.
  util::Result<nlohmann::json> call(std::string_view method, const nlohmann::json& params) const;

 private:
  Endpoint endpoint_;
  std::string database_ = {};
  std::chrono::milliseconds timeout_;
};

}  // namespace univirt::ovnctl
