#pragma once

// Move-only owners of libvirt objects (style.md §3): every virXxxPtr a libvirt call returns is
// wrapped here in the same expression, and released exactly once when its owner goes away.
// `.get()` lends the raw pointer to a C call; nothing here hands ownership back to C.
//
// libvirt reference-counts its objects internally: a domain, pool, volume, network or snapshot
// keeps its connection alive, so a DomainHandle may outlive the ConnectHandle it came from.

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <libvirt/libvirt.h>

namespace univirt::virt {
namespace detail {

// One owner type for every libvirt object; `Release` is the libvirt function that drops the
// reference this handle holds (virDomainFree, virConnectClose, ...).
template <typename T, auto Release>
class Handle {
 public:
  Handle() = default;
  // Takes over one reference; `ptr` may be null (a failed lookup), giving an empty handle.
  explicit Handle(T* ptr) : ptr_(ptr) {}

  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : ptr_(std::exchange(other.ptr_, nullptr)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      ptr_ = std::exchange(other.ptr_, nullptr);
    }
    return *this;
  }
  ~Handle() { reset(); }

  T* get() const { return ptr_; }
  explicit operator bool() const { return ptr_ != nullptr; }

  void reset() {
    if (ptr_ != nullptr) {
      // The return value only reports a remaining reference count or an invalid pointer;
      // neither can be acted on while letting go of the object.
      static_cast<void>(Release(std::exchange(ptr_, nullptr)));
    }
  }

 private:
  T* ptr_ = nullptr;
};

}  // namespace detail

using ConnectHandle = detail::Handle<virConnect, &virConnectClose>;
using DomainHandle = detail::Handle<virDomain, &virDomainFree>;
using StoragePoolHandle = detail::Handle<virStoragePool, &virStoragePoolFree>;
using StorageVolumeHandle = detail::Handle<virStorageVol, &virStorageVolFree>;
using NetworkHandle = detail::Handle<virNetwork, &virNetworkFree>;
using DomainSnapshotHandle = detail::Handle<virDomainSnapshot, &virDomainSnapshotFree>;

// Copies and frees a string libvirt allocated for the caller (XML descriptions, URIs, paths).
// A null `owned` gives an empty string; callers check for null first when null means failure.
inline std::string takeString(char* owned) {
  if (owned == nullptr) {
    return {};
  }
  std::string copy(owned);
  std::free(owned);  // NOLINT(cppcoreguidelines-no-malloc): libvirt allocated it with malloc
  return copy;
}

// Wraps the `count` objects of an array a virXxxListAll* call returned and frees the array.
template <typename HandleT, typename T>
std::vector<HandleT> takeArray(T** owned, int count) {
  std::vector<HandleT> handles;
  if (owned == nullptr) {
    return handles;
  }
  handles.reserve(static_cast<std::size_t>(count > 0 ? count : 0));
  for (int i = 0; i < count; ++i) {
    handles.emplace_back(owned[i]);
  }
  std::free(owned);  // NOLINT(cppcoreguidelines-no-malloc): libvirt allocated it with malloc
  return handles;
}

}  // namespace univirt::virt
