// Diagnostics and log events, written whole with one write(2) each so lines
// from concurrent workers sharing stderr never interleave.
#include "core/log.hpp"
#include "core/strings.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fmt/format.h>
#include <optional>

namespace portcullis::log {
namespace {

std::string program_name = "portcullis";
bool json_events = false;

// Discreet mode: the one line an error may leave on stderr, whether it
// was written, and where the texts go instead.
std::optional<std::string> neutral_error;
std::atomic<bool> neutral_written = false;
DetailSink detail_sink;

void write_line(std::string line) {
    line.push_back('\n');
    const char* data = line.data();
    size_t left = line.size();
    while (left > 0) {
        ssize_t n = ::write(STDERR_FILENO, data, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; // stderr is gone: there is nowhere left to complain
        data += n;
        left -= static_cast<size_t>(n);
    }
}

bool needs_quotes(std::string_view value) {
    if (value.empty())
        return true;
    for (unsigned char c : value) {
        if (c <= ' ' || c == '"' || c == '\\' || c == '=' || c >= 0x7f)
            return true;
    }
    return false;
}

} // namespace

void set_program(std::string_view name) {
    program_name = name;
}

const std::string& program() {
    return program_name;
}

void set_json(bool enabled) {
    json_events = enabled;
}

void set_discreet(std::string neutral) {
    neutral_error = std::move(neutral);
}

bool discreet() {
    return neutral_error.has_value();
}

void set_detail_sink(DetailSink sink) {
    detail_sink = std::move(sink);
}

namespace {

// One failure line however many errors there were: a count of lines
// on stderr would tell as much as their text.
void discreet_diagnostic(std::string_view level, std::string_view message) {
    if (detail_sink)
        detail_sink(level, message);
    if (level != "error" || neutral_written.exchange(true))
        return;
    event("-", "filter", {{"error", *neutral_error}});
}

// Diagnostics name paths and ids that came with the mail: a control
// byte in them (an escape sequence retitling the terminal, a line break
// forging a log line) is written as \xNN. With --log-json every line on
// stderr is one JSON object, so a reader of the log (report, a log
// shipper) never meets a line it cannot parse.
void diagnostic(std::string_view level, std::string_view message) {
    if (neutral_error) {
        discreet_diagnostic(level, message);
        return;
    }
    if (json_events) {
        nlohmann::ordered_json line;
        line["tool"] = program_name;
        line["level"] = level;
        line["message"] = message;
        write_line(
            line.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
        return;
    }
    write_line(
        fmt::format("{}: {}: {}", program_name, level, terminal_safe(message)));
}

} // namespace

void error(std::string_view message) {
    diagnostic("error", message);
}

void warning(std::string_view message) {
    diagnostic("warning", message);
}

std::string quote_value(std::string_view value) {
    if (!needs_quotes(value))
        return std::string(value);
    // JSON string escaping is unambiguous and keeps control bytes visible.
    return nlohmann::json(std::string(value))
        .dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
}

void event(std::string_view id, std::string_view subsystem,
           const nlohmann::ordered_json& fields) {
    if (json_events) {
        nlohmann::ordered_json line;
        line["id"] = id;
        line["subsystem"] = subsystem;
        if (!neutral_error)
            line["tool"] = program_name;
        for (const auto& [key, value] : fields.items())
            line[key] = value;
        write_line(line.dump(-1, ' ', false,
                             nlohmann::json::error_handler_t::replace));
        return;
    }
    std::string line = quote_value(id.empty() ? "-" : id);
    line += ' ';
    line += subsystem;
    for (const auto& [key, value] : fields.items()) {
        line += ' ';
        line += key;
        line += '=';
        if (value.is_string())
            line += quote_value(value.get_ref<const std::string&>());
        else
            line += value.dump(-1, ' ', false,
                               nlohmann::json::error_handler_t::replace);
    }
    write_line(std::move(line));
}

} // namespace portcullis::log
