#include "sdsctl/rbd_secret.h"

#include <array>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <pugixml.hpp>

#include "core/util/log.h"
#include "core/virt/virt_error.h"

namespace univirt::sdsctl {
namespace {

struct SecretFree {
  void operator()(virSecretPtr secret) const { virSecretFree(secret); }
};
using SecretHandle = std::unique_ptr<virSecret, SecretFree>;

SecretHandle lookup(virt::Connection& connection, const std::string& usage) {
  return SecretHandle(
      virSecretLookupByUsage(connection.get(), VIR_SECRET_USAGE_TYPE_CEPH, usage.c_str()));
}

std::string secretXml(const std::string& pool, const std::string& usage) {
  pugi::xml_document doc;
  auto secret = doc.append_child("secret");
  secret.append_attribute("ephemeral") = "no";
  secret.append_attribute("private") = "yes";
  secret.append_child("description").text() =
      fmt::format("cephx key of univirt's rbd pool '{}'", pool).c_str();
  auto usage_node = secret.append_child("usage");
  usage_node.append_attribute("type") = "ceph";
  usage_node.append_child("name").text() = usage.c_str();
  std::ostringstream xml;
  doc.save(xml, "", pugi::format_raw | pugi::format_no_declaration);
  return xml.str();
}

}  // namespace

std::string poolSecretUsage(const std::string& pool) { return "univirt rbd pool " + pool; }

util::Result<std::string> decodeBase64(std::string_view text) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  std::uint32_t buffer = 0;
  int bits = 0;
  std::size_t padding = 0;
  for (const char c : text) {
    if (c == '=') {
      ++padding;
      continue;
    }
    const auto value = kAlphabet.find(c);
    if (value == std::string_view::npos || padding > 0) {
      return util::Error{util::ErrorCode::InvalidArgument,
                         "the cephx key is not valid base64 text"};
    }
    buffer = (buffer << 6U) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((buffer >> static_cast<unsigned>(bits)) & 0xFFU));
    }
  }
  if (bytes.empty() || padding > 2 || (text.size() % 4) != 0) {
    return util::Error{util::ErrorCode::InvalidArgument, "the cephx key is not valid base64 text"};
  }
  return bytes;
}

util::Result<std::optional<CephAuth>> ensurePoolSecret(virt::Connection& connection,
                                                       const std::string& pool,
                                                       const CephxKey& key) {
  auto value = decodeBase64(key.key_base64);
  if (!value) {
    return value.error().withContext(fmt::format("the key of client.{}", key.user));
  }
  const std::string usage = poolSecretUsage(pool);
  SecretHandle secret = lookup(connection, usage);
  const bool made = secret == nullptr;
  if (made) {
    secret.reset(virSecretDefineXML(connection.get(), secretXml(pool, usage).c_str(), 0));
    if (secret == nullptr) {
      if (virGetLastErrorCode() == VIR_ERR_NO_SUPPORT) {
        return std::optional<CephAuth>{};
      }
      return virt::lastError(fmt::format("defining the libvirt ceph secret of pool '{}'", pool));
    }
  }
  if (virSecretSetValue(secret.get(), reinterpret_cast<const unsigned char*>(value->data()),
                        value->size(), 0) < 0) {
    auto error = virt::lastError(fmt::format("setting the libvirt ceph secret of pool '{}'", pool));
    if (made) {
      (void)virSecretUndefine(secret.get());
    }
    return error;
  }
  std::array<char, VIR_UUID_STRING_BUFLEN> uuid{};
  if (virSecretGetUUIDString(secret.get(), uuid.data()) < 0) {
    return virt::lastError(fmt::format("reading the uuid of the ceph secret of pool '{}'", pool));
  }
  return std::optional<CephAuth>{CephAuth{.username = key.user, .secret_uuid = uuid.data()}};
}

util::Status removePoolSecret(virt::Connection& connection, const std::string& pool) {
  SecretHandle secret = lookup(connection, poolSecretUsage(pool));
  if (secret == nullptr) {
    return util::ok();  // none, or a driver without secrets
  }
  if (virSecretUndefine(secret.get()) < 0) {
    return virt::lastError(fmt::format("removing the libvirt ceph secret of pool '{}'", pool));
  }
  return util::ok();
}

util::Result<std::string> withPoolAuth(const std::string& pool_xml, const CephAuth& auth) {
  pugi::xml_document doc;
  if (!doc.load_string(pool_xml.c_str())) {
    return util::Error{util::ErrorCode::Internal, "the rbd pool XML could not be read back"};
  }
  auto source = doc.child("pool").child("source");
  if (!source) {
    return util::Error{util::ErrorCode::Internal, "the rbd pool XML has no <source>"};
  }
  source.remove_child("auth");
  auto node = source.append_child("auth");
  node.append_attribute("type") = "ceph";
  node.append_attribute("username") = auth.username.c_str();
  node.append_child("secret").append_attribute("uuid") = auth.secret_uuid.c_str();
  std::ostringstream xml;
  doc.save(xml, "  ", pugi::format_default | pugi::format_no_declaration);
  return xml.str();
}

util::Result<std::string> withCephAuth(virt::Connection& connection, RbdCluster& cluster,
                                       const std::string& pool, const std::string& pool_xml) {
  auto key = cluster.cephxKey();
  if (!key) {
    return key.error();
  }
  if (!key->has_value()) {
    return pool_xml;
  }
  auto auth = ensurePoolSecret(connection, pool, **key);
  if (!auth) {
    return auth.error();
  }
  if (!auth->has_value()) {
    log::warn("libvirt driver has no secrets; rbd pool defined without cephx auth",
              {{"pool", pool}});
    return pool_xml;
  }
  return withPoolAuth(pool_xml, **auth);
}

}  // namespace univirt::sdsctl
