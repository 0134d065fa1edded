// Result<T>: a value or an Error, used instead of exceptions inside dnsd.
// Errors carry a category (mapped to an HTTP status or rcode at the edge), a message
// for humans, and the name of the offending field when there is one.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace registry {

enum class ErrorCode {
  kInvalid,   // bad input (HTTP 400)
  kNotFound,  // unknown service or instance (404)
  kConflict,  // body disagrees with path (409)
  kLimit,     // a configured limit would be exceeded (429)
  kUnavailable,  // the store cannot take writes now: loading, or its backend is down (503)
};

struct Error {
  ErrorCode code = ErrorCode::kInvalid;
  std::string message;
  std::string field;  // empty when no single field is at fault
};

inline Error Invalid(std::string field, std::string message) {
  return Error{ErrorCode::kInvalid, std::move(message), std::move(field)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void> equivalent.
struct Ok {};
using Status = Result<Ok>;

}  // namespace registry
