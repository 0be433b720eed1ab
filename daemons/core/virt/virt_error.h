#pragma once

// libvirt errors → util::Error (style.md §4).
//
// libvirt reports a failure through a thread-local "last error" (code, domain = the libvirt
// module that raised it, message). After a failed call, read it at once with lastError():
// every later libvirt call on the thread, even virDomainGetName(), resets it. So build the
// context from values already in hand (cached names), never by calling libvirt again.
//
// The message keeps libvirt's own text and names the module:
//   "starting domain 'vm1': libvirt error from 'qemu': Requested operation is not valid: ..."

#include <string>
#include <string_view>

#include "core/util/error.h"

namespace univirt::virt {

// What libvirt reported, copied out of its thread-local slot.
struct LibvirtError {
  int code = 0;    // virErrorNumber (VIR_ERR_*); 0 when libvirt set no error
  int domain = 0;  // virErrorDomain (VIR_FROM_*): which part of libvirt raised it
  int int1 = -1;   // for VIR_ERR_SYSTEM_ERROR: the errno
  std::string message = {};
};

// Copies and clears the calling thread's last libvirt error.
LibvirtError takeLastError();

// The ErrorCode callers act on (retry, fail the request, treat as done). See the .cpp table.
util::ErrorCode mapErrorCode(const LibvirtError& error);

// Short lower-case name of a virErrorDomain, as its VIR_FROM_ suffix: 12 → "test".
std::string_view errorDomainName(int domain);

util::Error toError(const LibvirtError& error);

// The error of the libvirt call that just failed on this thread, with `context` prefixed
// ("looking up domain 'vm1'"). Call it before any other libvirt call.
util::Error lastError(std::string_view context);

// Stops libvirt from printing every error to stderr (its default handler): univirt returns
// errors to callers and logs them once. Process-wide and idempotent; Connection::open and
// EventLoop call it.
void silenceLibvirtErrorOutput();

}  // namespace univirt::virt
