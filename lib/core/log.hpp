// Diagnostics and logs on stderr. A diagnostic is one line,
// "tool: error: context: message"; a log event about a message starts with
// its id, then a subsystem word, then key=value pairs (or JSON).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace portcullis::log {

/// Sets the program name that prefixes diagnostics.
void set_program(std::string_view name);

/// Returns the program name set with set_program.
const std::string& program();

/// Chooses JSON log events instead of key=value.
void set_json(bool enabled);

/// Writes "tool: error: message" to stderr.
void error(std::string_view message);

/// Writes "tool: warning: message" to stderr.
void warning(std::string_view message);

/// Writes one event: id, subsystem, then the fields in order.
void event(std::string_view id, std::string_view subsystem,
           const nlohmann::ordered_json& fields);

/// Quotes a value for key=value output when it holds spaces or quotes.
std::string quote_value(std::string_view value);

} // namespace portcullis::log
