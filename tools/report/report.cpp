// report: summaries of verdict streams and JSON lines, for people and cron.
// Input is read record by record, and the top lists keep --max-keys
// keys each, so a year of verdicts, or of hostile mail, needs no more
// memory than a day's.
#include "report.hpp"

#include "core/byte_reader.hpp"
#include "core/json_parse.hpp"
#include "core/log.hpp"
#include "core/source.hpp"
#include "core/stream.hpp"
#include "core/strings.hpp"
#include "mail/verdict.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <optional>
#include <set>

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

// What the rows shown do not hold for certain: keys past --top or
// dropped from a capped list, and what a row's count may lack. The rows
// and the rest add up to the list's total.
uint64_t rest_of(const TopList& list, const std::vector<TopEntry>& rows) {
    uint64_t shown = 0;
    for (const TopEntry& row : rows)
        shown += row.count;
    return list.total() - shown;
}

// A row whose count is a bound says how high it may go; an exact one
// looks as it did before lists had a cap.
ordered_json top_json(const TopList& list, size_t top) {
    ordered_json out = ordered_json::array();
    for (const TopEntry& row : list.top(top)) {
        ordered_json entry = {{"key", row.key}, {"count", row.count}};
        if (row.at_most > row.count)
            entry["at_most"] = row.at_most;
        out.push_back(std::move(entry));
    }
    return out;
}

ordered_json cap_json(const TopList& list, size_t top) {
    return {{"max_keys", list.max_keys()},
            {"total", list.total()},
            {"other", rest_of(list, list.top(top))}};
}

// A share to one decimal, where one that rounds to 0.0 but is not none
// reads "<0.1%": an alert on 1 message of 3,000 must not say 0.0%.
std::string percent_text(double percent) {
    if (percent > 0 && percent < 0.05)
        return "<0.1%";
    return fmt::format("{:.1f}%", percent);
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

// The exit status earned so far, and the summary each error goes to.
struct Reading {
    Summary& summary;
    size_t max_named; ///< errors named on stderr; the rest are counted
    ExitCode status = ExitCode::ok;
    bool named_stray_line = false; ///< in this input, so far
    /// Records read in this input, and whether any was a stream's (with
    /// a "size"): a log of --json lines has none, and there each line
    /// starts a record. A filter writes every stream envelope, so a
    /// sender cannot make a stream pass for such a log.
    uint64_t records = 0;
    bool stream_records = false;
    uint64_t failures = 0;

    // An input error is named on stderr and in the summary: a cron mail
    // must not report a clean run of half a file, nor grow to the size
    // of a day of garbage.
    void fail(const Error& error) {
        name(error);
        status = error.exit_code;
    }

    // A filter's error line is an input error too, but the filter has
    // already failed for it: it leaves the status alone.
    void note(const Error& error) { name(error); }

private:
    // Both lists take the same first errors, in input order, through
    // this one door: stderr and the summary must name the same ones.
    void name(const Error& error) {
        ++failures;
        if (failures <= max_named)
            log::error(terminal_safe(error.text()));
        else if (failures == 1)
            log::error("input errors are counted, not named "
                       "(--max-errors 0)");
        else if (failures == max_named + 1)
            log::error(fmt::format("more than {} input errors: the rest "
                                   "are counted, not named",
                                   max_named));
        summary.add_error(error.context, error.message);
    }
};

// Names a record by place and, when it has one, by id: the place finds
// it in the file, the id in the mail logs.
std::string name_record(const std::string& where,
                        const ordered_json& envelope) {
    std::string id = id_of(envelope);
    return id.empty() ? where : fmt::format("{} (id {})", where, id);
}

// True for a line that starts as a JSON object would: a record's.
bool starts_as_object(std::string_view line) {
    size_t first = line.find_first_not_of(" \t");
    return first != std::string_view::npos && line[first] == '{';
}

// A line that is no JSON object starts at a line boundary, where the
// record before it ended: plain log lines mixed in by 2>&1, or garbage.
// It is counted and the first one named; the count of the records after
// it goes on.
void skip_stray_line(const std::string& where, Reading& reading) {
    reading.summary.add_skipped_line();
    if (!reading.named_stray_line) {
        reading.named_stray_line = true;
        reading.fail({where, "not a JSON envelope; lines like it are "
                             "skipped and counted"});
    }
}

// Takes one line. A record with a bad field costs only itself; an error
// returned leaves the start of the next record unknown.
Status take_line(ByteReader& input, const std::string& line,
                 const std::string& where, Reading& reading) {
    ordered_json envelope = parse_json(line);
    if (envelope.is_discarded() && starts_as_object(line)) {
        // The last line of a file, with no line end yet: a filter may be
        // appending it this moment (writers hold a lock that report does
        // not wait for). It is not counted, and is no error.
        if (line.back() != '\n') {
            log::warning(terminal_safe(
                where + ": an unfinished last line, not counted; a filter "
                        "may be writing it"));
            return {};
        }
        // In a log of --json lines (records were read, none carried a
        // message), one line cut short by a full disk costs only itself:
        // the next line starts a record, and every later run's lines
        // would go uncounted otherwise.
        if (reading.records > 0 && !reading.stream_records) {
            reading.fail({where, "a garbled line, skipped: this input is "
                                 "--json lines, so the next line starts a "
                                 "record"});
            return {};
        }
        // In a stream, a line that starts as a JSON object but is none is
        // a garbled envelope: the message bytes it announced follow, and
        // where they end is unknown. Reading on would take lines of a
        // mail's body, written by its sender, for records; the input
        // ends here.
        return Error{where, "a garbled envelope; the rest of this input "
                            "is not read, as where its records start is "
                            "unknown"};
    }
    if (envelope.is_discarded() || !envelope.is_object()) {
        skip_stray_line(where, reading);
        return {};
    }
    // Logs with --log-json share the pipe under 2>&1; a line without
    // the format version is not a record, so no message follows it.
    if (!is_record(envelope)) {
        reading.summary.add_skipped_line();
        return {};
    }
    std::string name = name_record(where, envelope);
    auto size = message_size(envelope);
    if (!size)
        return Error{name, size.error().message};
    ++reading.records;
    reading.stream_records =
        reading.stream_records || envelope.contains("size");
    // A record cut short is an error, not a message.
    if (Status read = input.skip_exact(*size); !read)
        return Error{name, read.error().message, read.error().exit_code};
    auto facts = read_record(envelope);
    if (!facts) {
        reading.fail({name, facts.error().message});
        return {};
    }
    if (facts->kind == RecordKind::error_line) {
        reading.note({name, facts->error});
        return {};
    }
    reading.summary.add(*facts);
    return {};
}

void read_input(ByteReader& input, const Limits& limits, Reading& reading) {
    reading.named_stray_line = false;
    reading.records = 0;
    reading.stream_records = false;
    // A stream saved by a Windows editor starts with a byte order mark,
    // skipped as the filters skip it.
    if (auto started = stream::starts_stream(input); !started) {
        reading.fail(started.error());
        return;
    }
    std::string line;
    uint64_t record = 0;
    for (;;) {
        uint64_t offset = input.offset();
        bool complete = false;
        auto got =
            input.read_line_part(line, limits.envelope_line_bytes, complete);
        // Named as the filters name a record, not by the reader's offset.
        auto where = fmt::format("{}: record {} at offset {}", input.name(),
                                 record + 1, offset);
        if (!got) {
            reading.fail({where, got.error().message, got.error().exit_code});
            return;
        }
        if (!*got)
            return;
        ++record;
        if (!complete) {
            // A record no filter could have written: where its message
            // ends is unknown, and the input ends here.
            if (starts_as_object(line)) {
                reading.fail({where, fmt::format("line longer than {} bytes",
                                                 limits.envelope_line_bytes)});
                return;
            }
            // A long plain line (a log line under 2>&1) is walked past,
            // a part at a time, and skipped as a short one is: it ended
            // the input, and the records after it went uncounted.
            while (!complete) {
                auto rest = input.read_line_part(
                    line, limits.envelope_line_bytes, complete);
                if (!rest) {
                    reading.fail(
                        {where, rest.error().message, rest.error().exit_code});
                    return;
                }
                if (!*rest)
                    break;
            }
            skip_stray_line(where, reading);
            continue;
        }
        if (line == "\n" || line == "\r\n")
            continue;
        // A rotated log is often compressed: say so, rather than count
        // each line of it as garbage.
        if (offset == 0)
            if (std::string_view kind = source::compression_of(line);
                !kind.empty()) {
                reading.fail(
                    {input.name(),
                     fmt::format("a {}-compressed file; report reads "
                                 "records as written: decompress it "
                                 "first ({} FILE | report)",
                                 kind, source::decompressor_for(kind))});
                return;
            }
        if (Status taken = take_line(input, line, where, reading); !taken) {
            reading.fail(taken.error());
            return;
        }
    }
}

// open(2) accepts a directory, and reading it then fails with EISDIR, an
// I/O error (74); to the administrator it is an input that cannot be
// read as records, as the man page says: 66.
// An input is named as the filters name the file it came from
// (stream::path_id), so a name that is not UTF-8 is kept, not turned
// into U+FFFD in the JSON summary.
Result<int> open_input(const std::string& path, const std::string& name) {
    if (path == "-")
        return STDIN_FILENO;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return Error{name, std::strerror(errno), ExitCode::no_input};
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        Error error{name, std::strerror(errno), ExitCode::io_error};
        ::close(fd);
        return error;
    }
    if (S_ISDIR(st.st_mode)) {
        ::close(fd);
        return Error{name, "is a directory, not a file of records",
                     ExitCode::no_input};
    }
    return fd;
}

// A capped list says so in its title and ends with the rest, so the
// rows add up to what was counted.
std::string top_text(std::string_view title, const TopList& list, size_t top) {
    std::string out = fmt::format("\n{}", title);
    if (list.capped())
        out +=
            fmt::format(" (more than {} {}, see --max-keys)", list.max_keys(),
                        list.max_keys() == 1 ? "key" : "keys");
    out += "\n";
    if (list.empty())
        out += "  (none)\n";
    std::vector<TopEntry> rows = list.top(top);
    for (const TopEntry& row : rows) {
        out += fmt::format("  {:>8}  {}", row.count, terminal_safe(row.key));
        if (row.at_most > row.count)
            out += fmt::format(" (up to {})", row.at_most);
        out += "\n";
    }
    if (list.capped())
        out += fmt::format("  {:>8}  (the rest)\n", rest_of(list, rows));
    return out;
}

// JSON is written in printable ASCII, anything else as \uXXXX: the same
// data for a program, and no control for a terminal. Input names are
// ids, UTF-8 by construction; the lenient dump is a guard, as a string
// that is not UTF-8 would make a strict one throw.
std::string render(const Summary& summary, const Options& options) {
    std::vector<FiredAlert> fired =
        check_alerts(options.alerts, summary.figures());
    if (!options.json)
        return options.alerts_only ? alerts_text(fired)
                                   : summary.to_text(options.top, fired);
    // With --alerts-only, nothing when none fired, in JSON too, so
    // that cron mails only then.
    if (options.alerts_only && fired.empty())
        return "";
    ordered_json summary_json = summary.to_json(options.top, fired);
    if (options.alerts_only)
        summary_json = {{"alerts", summary_json["alerts"]}};
    std::string json = summary_json.dump(
        2, ' ', true, nlohmann::json::error_handler_t::replace);
    // The dump escapes every control but DEL, which only a string holds.
    std::string out;
    out.reserve(json.size() + 1);
    for (char c : json) {
        if (c == '\x7f')
            out += "\\u007f";
        else
            out += c;
    }
    return out + "\n";
}

} // namespace

// A reason alerts name is counted apart from the top list, exactly: a
// capped list may no longer hold it, or hold it as a bound.
Summary::Summary(const Options& options)
    : reasons_(options.max_keys), attachment_types_(options.max_keys),
      anomalies_(options.max_keys), max_listed_errors_(options.max_errors),
      period_(options.period) {
    constexpr std::string_view reason = "reason:";
    for (const Alert& alert : options.alerts)
        if (alert.figure.starts_with(reason))
            message_reasons_[alert.figure.substr(reason.size())] = 0;
}

void Summary::add_error(std::string where, std::string message) {
    ++errors_;
    // A day of garbage must not make a summary of gigabytes: the first
    // errors say what went wrong, the count says how often.
    if (error_list_.size() < max_listed_errors_)
        error_list_.emplace_back(std::move(where), std::move(message));
}

void Summary::add_skipped_line() {
    ++skipped_lines_;
}

// Reasons and anomalies count the messages they were found in: one
// virus is one reason per view of the message that saw it. Keys are cut
// before they are told apart, so two long ids cut to one count once.
void Summary::count_keys(const RecordFacts& record) {
    std::set<std::string> reasons, anomalies, watched;
    for (const VerdictFacts& verdict : record.verdicts) {
        for (const std::string& id : verdict.reason_ids) {
            reasons.insert(cut_key(verdict.tool + " " + id));
            if (message_reasons_.contains(id))
                watched.insert(id);
        }
        for (const std::string& type : verdict.attachment_types)
            attachment_types_.add(type);
        for (const std::string& id : verdict.anomaly_ids)
            anomalies.insert(cut_key(id));
    }
    for (const std::string& key : reasons)
        reasons_.add(key);
    for (const std::string& id : anomalies)
        anomalies_.add(id);
    for (const std::string& id : watched)
        ++message_reasons_[id];
}

void Summary::add(const RecordFacts& record) {
    if (record.kind == RecordKind::error_line) {
        add_error(record.id.empty() ? "-" : record.id, record.error);
        return;
    }
    // A review copy or a notice from wiretap repeats a message already
    // counted, or is the gateway's own mail; the copy is counted from
    // the original's verdict, with those filed in Maildirs.
    if (record.kind == RecordKind::wiretap_copy)
        return;
    for (const VerdictFacts& verdict : record.verdicts)
        wiretap_copies_ =
            saturating_add(wiretap_copies_, verdict.wiretap_copies);
    ++messages_;
    bytes_ = saturating_add(bytes_, record.bytes);
    count_keys(record);
    // A verdict counts by the most severe action it gave the message or
    // any recipient: the daemon delivers each recipient by its own, so
    // a pass that rejects one recipient rejected mail.
    std::optional<verdict::Action> outcome;
    for (const VerdictFacts& verdict : record.verdicts) {
        verdict::Action action = most_severe_action(verdict);
        outcome = outcome ? verdict::most_severe(*outcome, action) : action;
        actions_[verdict.tool][std::string(verdict::to_string(action))]++;
        if (verdict.timed) {
            elapsed_us_[verdict.tool] += verdict.elapsed_us;
            ++timed_[verdict.tool];
        }
    }
    // A message no tool judged (a raw record) has no action yet.
    std::string judged(outcome ? verdict::to_string(*outcome) : unjudged);
    outcomes_[judged]++;
    if (period_ != Period::none)
        trends_.add(period_of(record.received, period_).value_or(""), judged);
}

Figures Summary::figures() const {
    return {messages_, errors_, outcomes_, actions_, message_reasons_};
}

std::string alerts_text(const std::vector<FiredAlert>& fired) {
    std::string out;
    for (const FiredAlert& alert : fired) {
        // Input errors are no messages, and the messages are all of them.
        if (alert.figure == "input_errors")
            out += fmt::format("ALERT {}: {} input error{}\n",
                               terminal_safe(alert.text), alert.count,
                               alert.count == 1 ? "" : "s");
        else if (alert.figure == "messages")
            out += fmt::format("ALERT {}: {} message{}\n",
                               terminal_safe(alert.text), alert.count,
                               alert.count == 1 ? "" : "s");
        else
            out += fmt::format("ALERT {}: {} of the messages ({})\n",
                               terminal_safe(alert.text), alert.count,
                               percent_text(alert.percent));
    }
    return out;
}

// The mean over the verdicts that gave a time; none when none did
// (verdicts of other programs, or older ones), not a mean of 0.
std::optional<uint64_t>
Summary::mean_elapsed_us(const std::string& tool) const {
    auto sum = elapsed_us_.find(tool);
    auto timed = timed_.find(tool);
    if (sum == elapsed_us_.end() || timed == timed_.end() || timed->second == 0)
        return std::nullopt;
    // The mean of 64-bit values fits in 64 bits, though their sum may not.
    return static_cast<uint64_t>(sum->second / timed->second);
}

ordered_json Summary::to_json(size_t top,
                              const std::vector<FiredAlert>& fired) const {
    ordered_json out;
    out["messages"] = messages_;
    out["bytes"] = bytes_;
    out["input_errors"] = errors_;
    ordered_json errors = ordered_json::array();
    for (const auto& [where, message] : error_list_)
        errors.push_back({{"where", where}, {"error", message}});
    out["errors"] = errors;
    out["skipped_lines"] = skipped_lines_;
    out["wiretap_copies"] = wiretap_copies_;
    ordered_json tools = ordered_json::object();
    for (const auto& [tool, actions] : actions_) {
        ordered_json counts = ordered_json::object();
        for (const auto& [action, count] : actions)
            append_new_key(counts, action, count);
        std::optional<uint64_t> mean = mean_elapsed_us(tool);
        append_new_key(
            tools, tool,
            {{"actions", std::move(counts)},
             {"mean_elapsed_us", mean ? ordered_json(*mean) : ordered_json()}});
    }
    out["tools"] = tools;
    out["top_reasons"] = top_json(reasons_, top);
    out["top_attachment_types"] = top_json(attachment_types_, top);
    out["anomalies"] = top_json(anomalies_, top);
    // Only the lists that passed --max-keys: a script finds the cap, and
    // the rest that makes the totals whole, under the list's own name.
    ordered_json capped = ordered_json::object();
    for (const auto& [name, list] :
         {std::pair<const char*, const TopList*>{"top_reasons", &reasons_},
          {"top_attachment_types", &attachment_types_},
          {"anomalies", &anomalies_}})
        if (list->capped())
            capped[name] = cap_json(*list, top);
    out["capped"] = capped;
    out["outcomes"] = outcomes_;
    if (period_ != Period::none)
        out["trends"] = trends_.to_json();
    ordered_json alerts = ordered_json::array();
    for (const FiredAlert& alert : fired)
        alerts.push_back({{"alert", alert.text},
                          {"count", alert.count},
                          {"percent", std::round(alert.percent * 100) / 100}});
    out["alerts"] = alerts;
    return out;
}

// Every string here came from input: a tool name, an id or a file name
// may carry escape sequences meant for the administrator's terminal.
std::string Summary::to_text(size_t top,
                             const std::vector<FiredAlert>& fired) const {
    std::string out = alerts_text(fired);
    if (!out.empty())
        out += "\n";
    out += fmt::format("messages      {}\n", messages_);
    out += fmt::format("bytes         {} ({})\n", bytes_, human_bytes(bytes_));
    out += fmt::format("input errors  {}\n", errors_);
    for (const auto& [where, message] : error_list_)
        out += fmt::format("  {}: {}\n", terminal_safe(where),
                           terminal_safe(message));
    if (errors_ > error_list_.size())
        out += fmt::format("  ... {} more not listed\n",
                           errors_ - error_list_.size());
    out += fmt::format("skipped lines {}\n", skipped_lines_);
    out += fmt::format("wiretap copies {}\n", wiretap_copies_);
    out += "\nactions by tool\n";
    if (actions_.empty())
        out += "  (none)\n";
    for (const auto& [tool, actions] : actions_) {
        std::string line;
        for (const auto& [action, count] : actions)
            line += fmt::format("  {} {}", terminal_safe(action), count);
        std::optional<uint64_t> mean = mean_elapsed_us(tool);
        out += fmt::format("  {:<14}{}   ({})\n", terminal_safe(tool), line,
                           mean ? fmt::format("mean {} us", *mean)
                                : std::string("no times"));
    }
    auto section = [&](std::string_view title,
                       const std::map<std::string, uint64_t>& counts) {
        out += fmt::format("\n{}\n", title);
        if (counts.empty())
            out += "  (none)\n";
        for (const auto& [key, count] : top_entries(counts, top))
            out += fmt::format("  {:>8}  {}\n", count, terminal_safe(key));
    };
    out += top_text("top reasons", reasons_, top);
    out += top_text("top attachment types", attachment_types_, top);
    out += top_text("anomalies", anomalies_, top);
    section("messages by most severe action", outcomes_);
    if (period_ != Period::none) {
        out += fmt::format("\nby {} of arrival (UTC)\n",
                           period_ == Period::day ? "day" : "hour");
        out += trends_.empty() ? "  (none)\n" : trends_.to_text();
    }
    return out;
}

ExitCode run(const Options& options) {
    Summary summary(options);
    Reading reading{summary, options.max_errors};
    std::vector<std::string> inputs = options.inputs;
    if (inputs.empty())
        inputs.push_back("-");
    for (const std::string& path : inputs) {
        std::string name = stream::path_id(path);
        auto opened = open_input(path, name);
        if (!opened) {
            reading.fail(opened.error());
            continue;
        }
        int fd = *opened;
        ByteReader reader(fd, name);
        read_input(reader, options.limits, reading);
        if (fd != STDIN_FILENO)
            ::close(fd);
    }
    std::string text = render(summary, options);
    std::fputs(text.c_str(), stdout);
    if (std::fflush(stdout) != 0 && errno != EPIPE) {
        log::error(fmt::format("stdout: {}", std::strerror(errno)));
        return ExitCode::io_error;
    }
    return reading.status;
}

} // namespace portcullis::report
