// Expected failures as values: a Result holds either a T or an Error.
// Bad input, I/O trouble and unavailable services travel up as Errors;
// exceptions are left for bugs, caught once in main().
#pragma once

#include "core/exit_code.hpp"

#include <string>
#include <utility>
#include <variant>

namespace portcullis {

/// An expected failure: what was being done, what went wrong, how to exit.
struct Error {
    std::string context;
    std::string message;
    ExitCode exit_code = ExitCode::data_error;

    /// Returns "context: message", or the message alone without context.
    std::string text() const {
        return context.empty() ? message : context + ": " + message;
    }
};

/// Holds a value or the Error that prevented it.
template <class T> class Result {
public:
    Result(T value) : value_(std::move(value)) {}
    Result(Error error) : value_(std::move(error)) {}

    bool ok() const { return value_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(value_); }
    const T& value() const { return std::get<0>(value_); }
    T& operator*() { return value(); }
    T* operator->() { return &value(); }
    const Error& error() const { return std::get<1>(value_); }

private:
    std::variant<T, Error> value_;
};

/// A Result with no value: success, or an Error.
struct Status {
    Status() = default;
    Status(Error e) : error_(std::move(e)), failed_(true) {}

    bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return error_; }

private:
    Error error_;
    bool failed_ = false;
};

} // namespace portcullis
