// report: summaries of verdict streams and JSON lines, for people and cron.
// Input is read record by record, so a year of verdicts needs no more
// memory than its distinct reasons and types.
#include "report.hpp"

#include "core/byte_reader.hpp"
#include "core/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace portcullis::report {

using nlohmann::ordered_json;

namespace {

std::vector<std::pair<std::string, uint64_t>>
top_entries(const std::map<std::string, uint64_t>& counts, size_t top) {
    std::vector<std::pair<std::string, uint64_t>> entries(counts.begin(),
                                                          counts.end());
    std::stable_sort(
        entries.begin(), entries.end(),
        [](const auto& a, const auto& b) { return a.second > b.second; });
    if (entries.size() > top)
        entries.resize(top);
    return entries;
}

std::string extension_of(const std::string& name) {
    size_t dot = name.find_last_of('.');
    if (dot == std::string::npos || dot + 1 == name.size())
        return "";
    std::string ext = name.substr(dot);
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return ext;
}

std::string human_bytes(uint64_t bytes) {
    const char* units[] = {"B", "KB", "MB", "GB", "TB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1000 && unit < 4) {
        value /= 1000;
        ++unit;
    }
    return unit == 0 ? fmt::format("{} B", bytes)
                     : fmt::format("{:.1f} {}", value, units[unit]);
}

void add_mime_details(const ordered_json& verdict,
                      std::map<std::string, uint64_t>& attachment_types,
                      std::map<std::string, uint64_t>& anomalies) {
    if (auto parts = verdict.find("parts");
        parts != verdict.end() && parts->is_array()) {
        for (const auto& part : *parts) {
            if (!part.value("attachment", false))
                continue;
            std::string name = part.value("filename", part.value("name", ""));
            std::string ext = extension_of(name);
            std::string type = part.value("content_type", "?");
            attachment_types[ext.empty() ? type : type + " " + ext]++;
        }
    }
    if (auto list = verdict.find("anomalies");
        list != verdict.end() && list->is_array()) {
        for (const auto& anomaly : *list) {
            if (anomaly.is_object())
                anomalies[anomaly.value("id", "?")]++;
        }
    }
}

Status read_input(ByteReader& input, Summary& summary) {
    Limits limits;
    std::string line;
    uint64_t record = 0;
    for (;;) {
        uint64_t offset = input.offset();
        auto got = input.read_line(line, limits.envelope_line_bytes);
        if (!got)
            return got.error();
        if (!*got)
            return {};
        ++record;
        if (line == "\n" || line == "\r\n")
            continue;
        auto where = fmt::format("{}: record {} at offset {}", input.name(),
                                 record, offset);
        ordered_json envelope = ordered_json::parse(line, nullptr, false);
        if (envelope.is_discarded() || !envelope.is_object())
            return Error{where, "not a JSON envelope"};
        // Logs with --log-json share the pipe under 2>&1; a line without
        // the format version is not a record, so no message follows it.
        if (!envelope.contains("portcullis")) {
            summary.add_skipped_line();
            continue;
        }
        // A stream record carries its message after the envelope; a
        // record cut short is an error, not a message.
        if (auto size = envelope.find("size");
            size != envelope.end() && size->is_number_unsigned()) {
            auto read = input.skip_exact(size->get<uint64_t>());
            if (!read)
                return Error{where, read.error().message};
        }
        summary.add(envelope);
    }
}

// An input that ends early or cannot be read is named on stderr and in
// the summary: a cron mail must not report a clean run of half a file.
ExitCode note_error(Summary& summary, const Error& error) {
    log::error(error.text());
    summary.add_error(error.context, error.message);
    return error.exit_code;
}

} // namespace

void Summary::add_error(std::string where, std::string message) {
    ++errors_;
    error_list_.emplace_back(std::move(where), std::move(message));
}

void Summary::add_skipped_line() {
    ++skipped_lines_;
}

void Summary::add(const ordered_json& envelope) {
    if (auto error = envelope.find("error"); error != envelope.end()) {
        add_error(envelope.value("id", "-"), error->is_string()
                                                 ? error->get<std::string>()
                                                 : error->dump());
        return;
    }
    // A review copy or a notice from wiretap repeats a message already
    // counted, or is the gateway's own mail.
    if (auto source = envelope.find("source");
        source != envelope.end() && *source == "wiretap") {
        ++wiretap_copies_;
        return;
    }
    ++messages_;
    bytes_ += envelope.value("bytes", envelope.value("size", uint64_t{0}));
    auto verdicts = envelope.find("verdicts");
    if (verdicts == envelope.end() || !verdicts->is_array())
        return;
    for (const auto& verdict : *verdicts) {
        if (!verdict.is_object())
            continue;
        std::string tool = verdict.value("tool", "?");
        actions_[tool][verdict.value("action", "?")]++;
        elapsed_us_[tool] += verdict.value("elapsed_us", uint64_t{0});
        if (auto reasons = verdict.find("reasons");
            reasons != verdict.end() && reasons->is_array()) {
            for (const auto& reason : *reasons) {
                if (reason.is_object())
                    reasons_[tool + " " + reason.value("id", "?")]++;
            }
        }
        add_mime_details(verdict, attachment_types_, anomalies_);
    }
}

ordered_json Summary::to_json(size_t top) const {
    auto list = [&](const std::map<std::string, uint64_t>& counts) {
        ordered_json out = ordered_json::array();
        for (const auto& [key, count] : top_entries(counts, top))
            out.push_back({{"key", key}, {"count", count}});
        return out;
    };
    ordered_json out;
    out["messages"] = messages_;
    out["bytes"] = bytes_;
    out["input_errors"] = errors_;
    ordered_json errors = ordered_json::array();
    for (const auto& [id, message] : error_list_)
        errors.push_back({{"id", id}, {"error", message}});
    out["errors"] = errors;
    out["skipped_lines"] = skipped_lines_;
    out["wiretap_copies"] = wiretap_copies_;
    ordered_json tools = ordered_json::object();
    for (const auto& [tool, actions] : actions_) {
        uint64_t seen = 0;
        for (const auto& [action, count] : actions) {
            tools[tool]["actions"][action] = count;
            seen += count;
        }
        tools[tool]["mean_elapsed_us"] = seen ? elapsed_us_.at(tool) / seen : 0;
    }
    out["tools"] = tools;
    out["top_reasons"] = list(reasons_);
    out["top_attachment_types"] = list(attachment_types_);
    out["anomalies"] = list(anomalies_);
    return out;
}

std::string Summary::to_text(size_t top) const {
    std::string out;
    out += fmt::format("messages      {}\n", messages_);
    out += fmt::format("bytes         {} ({})\n", bytes_, human_bytes(bytes_));
    out += fmt::format("input errors  {}\n", errors_);
    for (const auto& [id, message] : error_list_)
        out += fmt::format("  {}: {}\n", id, message);
    out += fmt::format("skipped lines {}\n", skipped_lines_);
    out += fmt::format("wiretap copies {}\n", wiretap_copies_);
    out += "\nactions by tool\n";
    for (const auto& [tool, actions] : actions_) {
        uint64_t seen = 0;
        std::string line;
        for (const auto& [action, count] : actions) {
            line += fmt::format("  {} {}", action, count);
            seen += count;
        }
        out += fmt::format("  {:<14}{}   (mean {} us)\n", tool, line,
                           seen ? elapsed_us_.at(tool) / seen : 0);
    }
    auto section = [&](std::string_view title,
                       const std::map<std::string, uint64_t>& counts) {
        out += fmt::format("\n{}\n", title);
        if (counts.empty())
            out += "  (none)\n";
        for (const auto& [key, count] : top_entries(counts, top))
            out += fmt::format("  {:>8}  {}\n", count, key);
    };
    section("top reasons", reasons_);
    section("top attachment types", attachment_types_);
    section("anomalies", anomalies_);
    return out;
}

ExitCode run(const Options& options) {
    Summary summary;
    ExitCode status = ExitCode::ok;
    std::vector<std::string> inputs = options.inputs;
    if (inputs.empty())
        inputs.push_back("-");
    for (const std::string& path : inputs) {
        int fd = path == "-" ? STDIN_FILENO
                             : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            Error error{path, std::strerror(errno), ExitCode::no_input};
            status = note_error(summary, error);
            continue;
        }
        ByteReader reader(fd, path);
        auto read = read_input(reader, summary);
        if (fd != STDIN_FILENO)
            ::close(fd);
        if (!read)
            status = note_error(summary, read.error());
    }
    std::string text = options.json
                           ? summary.to_json(options.top).dump(2) + "\n"
                           : summary.to_text(options.top);
    std::fputs(text.c_str(), stdout);
    if (std::fflush(stdout) != 0 && errno != EPIPE) {
        log::error(fmt::format("stdout: {}", std::strerror(errno)));
        return ExitCode::io_error;
    }
    return status;
}

} // namespace portcullis::report
