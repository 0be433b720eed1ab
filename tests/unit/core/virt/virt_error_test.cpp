#include "core/virt/virt_error.h"

#include <cerrno>
#include <string>

#include <gtest/gtest.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "core/virt/connection.h"
#include "virt_test_support.h"

namespace univirt::virt {
namespace {

using util::ErrorCode;

struct MappingCase {
  int code;
  int domain;
  int int1;
  ErrorCode expected;
};

TEST(VirtError, MapsLibvirtCodesToErrorCodes) {
  const MappingCase cases[] = {
      {VIR_ERR_NO_DOMAIN, VIR_FROM_QEMU, -1, ErrorCode::NotFound},
      {VIR_ERR_NO_STORAGE_POOL, VIR_FROM_STORAGE, -1, ErrorCode::NotFound},
      {VIR_ERR_NO_STORAGE_VOL, VIR_FROM_STORAGE, -1, ErrorCode::NotFound},
      {VIR_ERR_NO_NETWORK, VIR_FROM_NETWORK, -1, ErrorCode::NotFound},
      {VIR_ERR_NO_DOMAIN_SNAPSHOT, VIR_FROM_DOMAIN_SNAPSHOT, -1, ErrorCode::NotFound},
      {VIR_ERR_DEVICE_MISSING, VIR_FROM_QEMU, -1, ErrorCode::NotFound},
      {VIR_ERR_DOM_EXIST, VIR_FROM_QEMU, -1, ErrorCode::AlreadyExists},
      {VIR_ERR_NETWORK_EXIST, VIR_FROM_NETWORK, -1, ErrorCode::AlreadyExists},
      {VIR_ERR_STORAGE_VOL_EXIST, VIR_FROM_STORAGE, -1, ErrorCode::AlreadyExists},
      {VIR_ERR_INVALID_ARG, VIR_FROM_DOMAIN, -1, ErrorCode::InvalidArgument},
      {VIR_ERR_XML_ERROR, VIR_FROM_XML, -1, ErrorCode::InvalidArgument},
      {VIR_ERR_XML_DETAIL, VIR_FROM_DOMAIN, -1, ErrorCode::InvalidArgument},
      {VIR_ERR_CONFIG_UNSUPPORTED, VIR_FROM_QEMU, -1, ErrorCode::InvalidArgument},
      {VIR_ERR_NO_SUPPORT, VIR_FROM_DOMAIN, -1, ErrorCode::InvalidArgument},
      // Wrong state for the operation: retrying does not help, so not Conflict.
      {VIR_ERR_OPERATION_INVALID, VIR_FROM_QEMU, -1, ErrorCode::InvalidArgument},
      {VIR_ERR_SYSTEM_ERROR, VIR_FROM_RPC, ENOENT, ErrorCode::Unavailable},
      {VIR_ERR_SYSTEM_ERROR, VIR_FROM_RPC, ECONNREFUSED, ErrorCode::Unavailable},
      {VIR_ERR_SYSTEM_ERROR, VIR_FROM_RPC, EACCES, ErrorCode::PermissionDenied},
      {VIR_ERR_SYSTEM_ERROR, VIR_FROM_STORAGE, EPERM, ErrorCode::PermissionDenied},
      {VIR_ERR_RPC, VIR_FROM_REMOTE, -1, ErrorCode::Unavailable},
      {VIR_ERR_NO_CONNECT, VIR_FROM_NONE, -1, ErrorCode::Unavailable},
      {VIR_ERR_INVALID_CONN, VIR_FROM_NONE, -1, ErrorCode::Unavailable},
      // "client socket is closed" comes from the RPC layer as an internal error.
      {VIR_ERR_INTERNAL_ERROR, VIR_FROM_RPC, -1, ErrorCode::Unavailable},
      {VIR_ERR_INTERNAL_ERROR, VIR_FROM_REMOTE, -1, ErrorCode::Unavailable},
      {VIR_ERR_INTERNAL_ERROR, VIR_FROM_QEMU, -1, ErrorCode::Internal},
      {VIR_ERR_OPERATION_TIMEOUT, VIR_FROM_QEMU, -1, ErrorCode::Timeout},
      {VIR_ERR_AGENT_UNRESPONSIVE, VIR_FROM_QEMU, -1, ErrorCode::Timeout},
      {VIR_ERR_RESOURCE_BUSY, VIR_FROM_QEMU, -1, ErrorCode::Conflict},
      {VIR_ERR_AUTH_FAILED, VIR_FROM_AUTH, -1, ErrorCode::PermissionDenied},
      {VIR_ERR_ACCESS_DENIED, VIR_FROM_ACCESS, -1, ErrorCode::PermissionDenied},
      {VIR_ERR_OPERATION_DENIED, VIR_FROM_NONE, -1, ErrorCode::PermissionDenied},
      // Duplicate names from libvirt's config layer carry no dedicated code.
      {VIR_ERR_OPERATION_FAILED, VIR_FROM_DOMAIN, -1, ErrorCode::Internal},
      {VIR_ERR_HOOK_SCRIPT_FAILED, VIR_FROM_HOOK, -1, ErrorCode::Internal},
      {9999, VIR_FROM_QEMU, -1, ErrorCode::Internal},
  };
  for (const MappingCase& c : cases) {
    LibvirtError error{.code = c.code, .domain = c.domain, .int1 = c.int1, .message = "m"};
    EXPECT_EQ(mapErrorCode(error), c.expected)
        << "code " << c.code << " from domain " << c.domain << " errno " << c.int1;
    EXPECT_EQ(toError(error).code, c.expected) << "code " << c.code;
  }
}

TEST(VirtError, NamesErrorDomains) {
  const std::pair<int, std::string_view> cases[] = {
      {VIR_FROM_NONE, "none"},     {VIR_FROM_RPC, "rpc"},         {VIR_FROM_QEMU, "qemu"},
      {VIR_FROM_TEST, "test"},     {VIR_FROM_STORAGE, "storage"}, {VIR_FROM_NETWORK, "network"},
      {VIR_FROM_DOMAIN, "domain"}, {VIR_FROM_CH, "ch"},           {-1, "unknown"},
      {9999, "unknown"},
  };
  for (const auto& [domain, name] : cases) {
    EXPECT_EQ(errorDomainName(domain), name) << "domain " << domain;
  }
}

TEST(VirtError, MessageKeepsLibvirtTextAndNamesItsSource) {
  util::Error error = toError(LibvirtError{.code = VIR_ERR_OPERATION_INVALID,
                                           .domain = VIR_FROM_QEMU,
                                           .message = "Requested operation is not valid: "
                                                      "domain is already running"});
  EXPECT_EQ(error.message,
            "libvirt error from 'qemu': Requested operation is not valid: domain is already "
            "running");
}

TEST(VirtError, CallWithoutLibvirtErrorIsInternal) {
  util::Error error = toError(LibvirtError{});
  EXPECT_EQ(error.code, ErrorCode::Internal);
  EXPECT_EQ(error.message, "libvirt call failed without reporting an error");
}

TEST(VirtError, LastErrorReadsAndClearsTheThreadsError) {
  auto conn = Connection::open(testing::kTestUri);
  ASSERT_TRUE(conn) << conn.error().message;
  ASSERT_EQ(virDomainLookupByName(conn->get(), "no-such-domain"), nullptr);

  util::Error error = lastError("looking up domain 'no-such-domain'");

  EXPECT_EQ(error.code, ErrorCode::NotFound);
  EXPECT_EQ(error.message,
            "looking up domain 'no-such-domain': libvirt error from 'test': Domain not found");
  EXPECT_EQ(virGetLastError(), nullptr);
  EXPECT_EQ(takeLastError().code, VIR_ERR_OK);
}

TEST(VirtError, SilencedLibvirtPrintsNothingToStderr) {
  silenceLibvirtErrorOutput();
  auto conn = Connection::open(testing::kTestUri);
  ASSERT_TRUE(conn) << conn.error().message;

  ::testing::internal::CaptureStderr();
  virDomainPtr missing = virDomainLookupByName(conn->get(), "no-such-domain");
  std::string printed = ::testing::internal::GetCapturedStderr();

  EXPECT_EQ(missing, nullptr);
  EXPECT_EQ(printed, "");
  EXPECT_EQ(takeLastError().code, VIR_ERR_NO_DOMAIN);
}

}  // namespace
}  // namespace univirt::virt
