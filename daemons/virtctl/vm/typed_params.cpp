#include "virtctl/vm/typed_params.h"

#include <charconv>

#include <fmt/format.h>

#include "core/virt/virt_error.h"

namespace univirt::virtctl::vm {
namespace {

template <typename T>
bool parseNumber(const std::string& text, T& value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

util::Error badValue(const std::string& name, const std::string& text, std::string_view kind) {
  return util::Error{util::ErrorCode::InvalidArgument,
                     fmt::format("'{}' needs {}, not '{}'", name, kind, text)};
}

}  // namespace

util::Status TypedParams::addULLong(const std::string& name, unsigned long long value) {
  if (virTypedParamsAddULLong(&params_, &count_, &max_, name.c_str(), value) < 0) {
    return virt::lastError(fmt::format("setting parameter '{}'", name));
  }
  return util::ok();
}

util::Status TypedParams::addUInt(const std::string& name, unsigned int value) {
  if (virTypedParamsAddUInt(&params_, &count_, &max_, name.c_str(), value) < 0) {
    return virt::lastError(fmt::format("setting parameter '{}'", name));
  }
  return util::ok();
}

util::Status TypedParams::addAs(int type, const std::string& name, const std::string& text) {
  int rc = 0;
  switch (type) {
    case VIR_TYPED_PARAM_INT: {
      int value = 0;
      if (!parseNumber(text, value)) {
        return badValue(name, text, "an integer");
      }
      rc = virTypedParamsAddInt(&params_, &count_, &max_, name.c_str(), value);
      break;
    }
    case VIR_TYPED_PARAM_UINT: {
      unsigned int value = 0;
      if (!parseNumber(text, value)) {
        return badValue(name, text, "a whole number");
      }
      rc = virTypedParamsAddUInt(&params_, &count_, &max_, name.c_str(), value);
      break;
    }
    case VIR_TYPED_PARAM_LLONG: {
      long long value = 0;
      if (!parseNumber(text, value)) {
        return badValue(name, text, "an integer");
      }
      rc = virTypedParamsAddLLong(&params_, &count_, &max_, name.c_str(), value);
      break;
    }
    case VIR_TYPED_PARAM_ULLONG: {
      unsigned long long value = 0;
      if (!parseNumber(text, value)) {
        return badValue(name, text, "a whole number");
      }
      rc = virTypedParamsAddULLong(&params_, &count_, &max_, name.c_str(), value);
      break;
    }
    case VIR_TYPED_PARAM_DOUBLE: {
      double value = 0;
      if (!parseNumber(text, value)) {
        return badValue(name, text, "a number");
      }
      rc = virTypedParamsAddDouble(&params_, &count_, &max_, name.c_str(), value);
      break;
    }
    case VIR_TYPED_PARAM_BOOLEAN: {
      if (text != "true" && text != "false" && text != "1" && text != "0") {
        return badValue(name, text, "true or false");
      }
      rc = virTypedParamsAddBoolean(&params_, &count_, &max_, name.c_str(),
                                    text == "true" || text == "1" ? 1 : 0);
      break;
    }
    case VIR_TYPED_PARAM_STRING:
      rc = virTypedParamsAddString(&params_, &count_, &max_, name.c_str(), text.c_str());
      break;
    default:
      return util::Error{util::ErrorCode::InvalidArgument,
                         fmt::format("parameter '{}' has a type univirt cannot set", name)};
  }
  if (rc < 0) {
    return virt::lastError(fmt::format("setting parameter '{}'", name));
  }
  return util::ok();
}

}  // namespace univirt::virtctl::vm
