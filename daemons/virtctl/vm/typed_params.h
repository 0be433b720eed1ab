#pragma once

// Owner of a libvirt typed-parameter list (virTypedParamsAdd*), freed once.

#include <cstdint>
#include <string>

#include <libvirt/libvirt.h>

#include "core/util/result.h"

namespace univirt::virtctl::vm {

class TypedParams {
 public:
  TypedParams() = default;
  TypedParams(const TypedParams&) = delete;
  TypedParams& operator=(const TypedParams&) = delete;
  ~TypedParams() { virTypedParamsFree(params_, count_); }

  util::Status addULLong(const std::string& name, unsigned long long value);
  util::Status addUInt(const std::string& name, unsigned int value);
  // Converts `text` to the libvirt `type` (VIR_TYPED_PARAM_*) of an existing parameter.
  util::Status addAs(int type, const std::string& name, const std::string& text);

  virTypedParameterPtr get() const { return params_; }
  int count() const { return count_; }
  bool empty() const { return count_ == 0; }

 private:
  virTypedParameterPtr params_ = nullptr;
  int count_ = 0;
  int max_ = 0;
};

}  // namespace univirt::virtctl::vm
