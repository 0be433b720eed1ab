#pragma once

// Result<T>: a value or a util::Error. Its API mirrors the parts of C++23 std::expected we use
// (has_value, value, error, operator*, operator->, value_or), so the move to std::expected is a
// change of this one file. GCC 12 in C++20 mode has no <expected>.

#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/util/check.h"
#include "core/util/error.h"

namespace univirt::util {

// Marks the error alternative explicitly when T is itself constructible from Error.
struct Unexpected {
  Error error;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(const T& value) : storage_(std::in_place_index<0>, value) {}          // NOLINT: implicit
  Result(T&& value) : storage_(std::in_place_index<0>, std::move(value)) {}    // NOLINT
  Result(Error error) : storage_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  Result(Unexpected unexpected)  // NOLINT: implicit like std::unexpected
      : storage_(std::in_place_index<1>, std::move(unexpected.error)) {}
  template <typename U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
           !std::is_same_v<std::decay_t<U>, Error> &&
           !std::is_same_v<std::decay_t<U>, Unexpected> && !std::is_same_v<std::decay_t<U>, Result>)
      Result(U&& value)  // NOLINT: implicit, as std::expected converts
      : storage_(std::in_place_index<0>, T(std::forward<U>(value))) {}

  // NOLINTNEXTLINE(readability-identifier-naming): mirrors std::expected
  bool has_value() const { return storage_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    UNIVIRT_CHECK(has_value(), "value() called on a Result holding an error");
    return std::get<0>(storage_);
  }
  const T& value() const& {
    UNIVIRT_CHECK(has_value(), "value() called on a Result holding an error");
    return std::get<0>(storage_);
  }
  T&& value() && {
    UNIVIRT_CHECK(has_value(), "value() called on a Result holding an error");
    return std::move(std::get<0>(storage_));
  }

  const Error& error() const& {
    UNIVIRT_CHECK(!has_value(), "error() called on a Result holding a value");
    return std::get<1>(storage_);
  }
  Error&& error() && {
    UNIVIRT_CHECK(!has_value(), "error() called on a Result holding a value");
    return std::move(std::get<1>(storage_));
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <typename U>
  // NOLINTNEXTLINE(readability-identifier-naming): mirrors std::expected
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(storage_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> storage_;
};

// Result<void>: success carries nothing.
template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;

  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT: implicit
  Result(Unexpected unexpected)                                     // NOLINT: implicit
      : error_(std::move(unexpected.error)), failed_(true) {}

  // NOLINTNEXTLINE(readability-identifier-naming): mirrors std::expected
  bool has_value() const { return !failed_; }
  explicit operator bool() const { return has_value(); }
  void value() const { UNIVIRT_CHECK(has_value(), "value() called on a Result holding an error"); }
  const Error& error() const& {
    UNIVIRT_CHECK(failed_, "error() called on a Result holding a value");
    return error_;
  }
  Error&& error() && {
    UNIVIRT_CHECK(failed_, "error() called on a Result holding a value");
    return std::move(error_);
  }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

inline Status ok() { return {}; }

}  // namespace univirt::util
