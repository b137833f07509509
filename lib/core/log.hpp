// Diagnostics and logs on stderr. A diagnostic is one line,
// "tool: error: context: message"; a log event about a message starts with
// its id, then a subsystem word, then key=value pairs (or JSON).
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace portcullis::log {

/// Sets the program name that prefixes diagnostics.
void set_program(std::string_view name);

/// Returns the program name set with set_program.
const std::string& program();

/// Chooses JSON log events instead of key=value.
void set_json(bool enabled);

/// Where the text of a diagnostic kept from stderr goes: its level
/// ("error", "warning") and message.
using DetailSink =
    std::function<void(std::string_view level, std::string_view message)>;

/// Keeps stderr from naming the program or what it works on, for a tool
/// whose stderr others read: each error becomes one event
/// "- filter error=NEUTRAL", written at most once, warnings write
/// nothing, and events carry no tool name. The texts go to the sink.
void set_discreet(std::string neutral_error);

/// Returns true when set_discreet was called.
bool discreet();

/// Sets where discreet diagnostics go; none by default.
void set_detail_sink(DetailSink sink);

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
