// The shared filter loop. stdout is data and stderr is diagnostics; a
// closed stdout (a pager quit, `head`) ends the run quietly, as a broken
// pipe is not an error.
#include "core/filter.hpp"
#include "core/verdict_log.hpp"

#include "core/log.hpp"
#include "core/progress.hpp"
#include "core/spool.hpp"
#include "core/utc_time.hpp"
#include "core/watchdog.hpp"
#include "mail/envelope.hpp"
#include "mail/header_edit.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <mutex>
#include <optional>

namespace portcullis::filter {

using nlohmann::ordered_json;

namespace {

// Buffered writes to stdout with every error checked.
class Output {
public:
    ~Output() { flush(); }

    void write(std::string_view data) {
        if (broken_)
            return;
        if (buffer_.size() + data.size() > capacity) {
            flush();
            if (data.size() > capacity) {
                write_all(data);
                return;
            }
        }
        buffer_.append(data);
    }

    void flush() {
        write_all(buffer_);
        buffer_.clear();
    }

    bool broken() const { return broken_; }
    bool failed() const { return failed_; }

private:
    static constexpr size_t capacity = 1 << 16;

    void write_all(std::string_view data) {
        while (!data.empty() && !broken_) {
            ssize_t n = ::write(STDOUT_FILENO, data.data(), data.size());
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                broken_ = true;
                if (errno != EPIPE) {
                    failed_ = true;
                    log::error(fmt::format("stdout: {}", std::strerror(errno)));
                }
                return;
            }
            data.remove_prefix(static_cast<size_t>(n));
        }
    }

    std::string buffer_;
    bool broken_ = false;
    bool failed_ = false;
};

ordered_json tempfail_verdict(std::string_view tool, const Error& error) {
    ordered_json verdict;
    verdict["tool"] = tool;
    verdict["version"] = PORTCULLIS_VERSION;
    verdict["action"] = "tempfail";
    verdict["reasons"] = ordered_json::array(
        {{{"id", "INTERNAL_ERROR"}, {"score", 0}, {"text", error.text()}}});
    return verdict;
}

// The action of the last verdict of an envelope, or empty.
std::string last_action(const ordered_json& envelope) {
    auto verdicts = envelope.find("verdicts");
    if (verdicts == envelope.end() || !verdicts->is_array() ||
        verdicts->empty() || !verdicts->back().is_object())
        return {};
    auto action = verdicts->back().find("action");
    return action != verdicts->back().end() && action->is_string()
               ? action->get<std::string>()
               : std::string();
}

// Fits the envelope within the line limit that every reader enforces:
// a longer line would make the next filter refuse this record and all
// after it. An envelope that cannot be fitted is an error naming it.
Status fit_line(ordered_json& envelope, const std::string& id,
                size_t max_line_bytes) {
    if (stream::fit_envelope(envelope, max_line_bytes))
        return {};
    return Error{id, fmt::format("envelope line of {} bytes does not fit "
                                 "envelope_line_bytes={} even with its "
                                 "verdicts cut; record not written",
                                 stream::line_bytes(envelope), max_line_bytes)};
}

// Writes one record in the output form; nothing when its envelope could
// not be kept within the line limit.
Status write_record(Output& out, OutputForm form, size_t max_line_bytes,
                    stream::Record& record, const Outcome& outcome) {
    switch (form) {
    case OutputForm::stream:
        record.envelope["size"] = record.message.size();
        if (Status fitted =
                fit_line(record.envelope, record.id(), max_line_bytes);
            !fitted)
            return fitted;
        out.write(stream::serialize(record));
        return {};
    case OutputForm::json:
        to_json_form(record.envelope, record.message.size());
        if (Status fitted =
                fit_line(record.envelope, record.id(), max_line_bytes);
            !fitted)
            return fitted;
        out.write(envelope_line(record.envelope));
        return {};
    case OutputForm::headers:
        out.write(mail::add_headers(record.message, outcome.headers));
        return {};
    }
    return {};
}

void write_error_line(Output& out, const Error& error) {
    out.write(error_line(error));
}

// A record too big to hold is passed on unread: nothing in it was
// inspected, so it is held for a person to look at.
ordered_json too_large_verdict(std::string_view tool, uint64_t size,
                               uint64_t limit) {
    ordered_json verdict;
    verdict["tool"] = tool;
    verdict["version"] = PORTCULLIS_VERSION;
    verdict["action"] = "quarantine";
    verdict["reasons"] = ordered_json::array(
        {{{"id", "MESSAGE_TOO_LARGE"},
          {"score", 0},
          {"text", fmt::format("{} bytes, over the limit message_bytes={}; "
                               "not inspected",
                               size, limit)}}});
    return verdict;
}

// A record whose envelope cannot be believed (a field of the wrong
// type) is not judged: a verdict about recipients nobody can name would
// be a guess. It goes on held for a person, as an unread record does.
ordered_json bad_envelope_verdict(std::string_view tool, const Error& error) {
    ordered_json verdict;
    verdict["tool"] = tool;
    verdict["version"] = PORTCULLIS_VERSION;
    verdict["action"] = "quarantine";
    verdict["reasons"] =
        ordered_json::array({{{"id", "BAD_ENVELOPE"},
                              {"score", 0},
                              {"text", error.message + "; not inspected"}}});
    return verdict;
}

// A raw message on stdin over the size limit is sized only once it has
// all been read. The JSON form counts its bytes; the stream form, which
// writes the size first, spools them to a temporary file. Afterwards
// record.unread is the size and record.message holds only what was read
// at first; the rest is in the spool, or gone when only counted.
Status size_unread_stdin(OutputForm form, source::Inputs& inputs,
                         stream::Record& record,
                         std::optional<spool::Spool>& spooled) {
    uint64_t size = record.message.size();
    if (form == OutputForm::stream) {
        auto opened = spool::Spool::open();
        if (!opened)
            return opened.error();
        spooled.emplace(std::move(*opened));
    }
    Status read = inputs.copy_unread([&](std::string_view piece) {
        size += piece.size();
        if (spooled)
            spooled->write(piece);
    });
    if (!read)
        return read;
    if (spooled && !spooled->status())
        return spooled->status();
    record.unread = size;
    return {};
}

// A stream record over the size limit whose input may end before its
// bytes do (a pipe) is spooled first: written straight through, one cut
// short would leave its envelope and the bytes that came, and the next
// reader would take the records after it for the rest of its message.
// Its envelope is written only once every byte is in the spool. Where no
// spool can be made it goes straight through as before, rather than not
// at all; a spool that fails once the bytes are read loses the record.
Status spool_unread(source::Inputs& inputs, const stream::Record& record,
                    std::optional<spool::Spool>& spooled) {
    auto opened = spool::Spool::open();
    if (!opened) {
        log::warning(fmt::format("{}; record {} is copied straight through",
                                 opened.error().text(), record.id()));
        return {};
    }
    spooled.emplace(std::move(*opened));
    Status read =
        inputs.copy_unread([&](std::string_view p) { spooled->write(p); });
    if (!read)
        return read;
    if (const Status& written = spooled->status(); !written)
        return Error{written.error().context,
                     fmt::format("{}; record {} not passed on",
                                 written.error().message, record.id()),
                     written.error().exit_code};
    return {};
}

// Writes a record over the size limit: its envelope with the verdict
// made for its size, then its bytes straight from the input (or the
// spool), never held whole. Nothing is written of a record whose bytes
// end early. Afterwards record.unread is the size passed on.
Status pass_unread(Output& out, OutputForm form, size_t max_line_bytes,
                   source::Inputs& inputs, stream::Record& record,
                   const std::function<ordered_json(uint64_t)>& verdict) {
    std::optional<spool::Spool> spooled;
    bool from_stdin = !inputs.unread_size_known();
    if (from_stdin && form != OutputForm::headers) {
        if (Status sized = size_unread_stdin(form, inputs, record, spooled);
            !sized)
            return sized;
    } else if (!from_stdin && form != OutputForm::json &&
               !inputs.unread_present()) {
        if (Status read = spool_unread(inputs, record, spooled); !read)
            return read;
    }
    uint64_t size = record.unread;
    // The headers form reads a raw message on stdin as it writes it: its
    // size, and so its verdict, is known only once it has been passed on.
    if (form != OutputForm::headers || !from_stdin)
        stream::append_verdict(record, verdict(size));
    if (form == OutputForm::json) {
        // Read to the end before the line is written, so that a record
        // cut short gets an error line, not one saying it was judged.
        if (Status skipped = inputs.copy_unread([](std::string_view) {});
            !skipped) {
            write_error_line(out, skipped.error());
            return skipped;
        }
        to_json_form(record.envelope, size);
        Status fitted = fit_line(record.envelope, record.id(), max_line_bytes);
        if (fitted)
            out.write(envelope_line(record.envelope));
        return fitted;
    }
    if (form == OutputForm::stream) {
        record.envelope["size"] = size;
        if (Status fitted =
                fit_line(record.envelope, record.id(), max_line_bytes);
            !fitted) {
            Status skipped = inputs.copy_unread([](std::string_view) {});
            return skipped ? fitted : skipped;
        }
        out.write(envelope_line(record.envelope));
    }
    uint64_t passed = record.message.size();
    out.write(record.message);
    auto sink = [&](std::string_view piece) {
        passed += piece.size();
        out.write(piece);
    };
    Status copied = spooled ? spooled->copy_to(sink) : inputs.copy_unread(sink);
    if (copied) {
        record.unread = passed;
        if (form == OutputForm::headers && from_stdin)
            stream::append_verdict(record, verdict(passed));
        return copied;
    }
    // Written in part: whatever came after it would be read as its rest,
    // so it is the last thing written.
    inputs.stop();
    return copied;
}

// The time limit of the record being handled, where the handler's own
// thread can move it (restart_deadline) while the watchdog thread reads
// the reason under the mutex.
struct RecordClock {
    Watchdog* watchdog = nullptr;
    std::mutex* mutex = nullptr;
    std::string id;
    std::string expired; ///< the tempfail reason once the limit passes
};

thread_local RecordClock* record_clock = nullptr;

// A bug or an unexpected value in one message (a wrongly typed envelope
// field) fails that message, not the whole batch.
Result<Outcome> handle_guarded(const Handler& handler, stream::Record& record) {
    try {
        return handler(record);
    } catch (const std::exception& e) {
        return Error{"internal error", e.what(), ExitCode::software};
    }
}

// The more specific of two failure statuses wins: no input over bad data.
ExitCode worse(ExitCode current, ExitCode next) {
    if (current == ExitCode::ok)
        return next;
    return current;
}

} // namespace

std::string timeout_text(int timeout_ms) {
    return fmt::format("processing exceeded the parse timeout of {} ms",
                       timeout_ms);
}

void restart_deadline(int timeout_ms, std::string expired) {
    RecordClock* clock = record_clock;
    if (!clock)
        return;
    {
        std::lock_guard<std::mutex> lock(*clock->mutex);
        clock->expired = std::move(expired);
    }
    set_deadline(std::chrono::steady_clock::now() +
                 std::chrono::milliseconds(timeout_ms));
    clock->watchdog->arm(clock->id,
                         timeout_ms + hard_deadline_grace_ms(timeout_ms));
}

void pause_deadline() {
    if (!record_clock)
        return;
    clear_deadline();
    record_clock->watchdog->disarm();
}

namespace {

// Says what is wrong with text as a whole number from least to most,
// or returns an empty string when it is one.
std::string whole_number_problem(const std::string& text, uint64_t least,
                                 uint64_t most = 2147483647) {
    bool digits = !text.empty() &&
                  std::all_of(text.begin(), text.end(),
                              [](char c) { return c >= '0' && c <= '9'; });
    if (!digits)
        return fmt::format("{} is not a whole number of {} or more", text,
                           least);
    size_t lead = std::min(text.find_first_not_of('0'), text.size());
    uint64_t value = text.size() - lead > 18 ? most + 1 : std::stoull(text);
    if (value < least)
        return fmt::format("{} is not allowed: give {} or more", value, least);
    if (value > most)
        return fmt::format("{} is too large: at most {}", text, most);
    return "";
}

// An address given for the envelope is written into stream records as
// it is, so it may hold no control character or blank, as no address on
// an SMTP command line may; 254 bytes is the most RFC 5321 allows in a
// path. The sender may be empty: the null sender, <>.
std::string envelope_address_problem(const std::string& text,
                                     bool may_be_empty) {
    if (text.empty())
        return may_be_empty ? "" : "an empty address names no recipient";
    if (text.size() > 254)
        return "longer than the 254 bytes an address may have";
    // A local part may hold blanks ("a b"@example.org, which Postfix
    // gives as a b@example.org); a domain holds none, and no part a
    // control character.
    size_t at = text.rfind('@');
    for (size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        bool blank_in_local_part =
            c == ' ' && at != std::string::npos && i < at && i > 0;
        if ((c <= ' ' && !blank_in_local_part) || c == 0x7f)
            return "an address holds no control character, nor a blank "
                   "outside its local part";
    }
    // A name alone ("bob") is a local address; one with an '@' has a
    // part on each side. "$LOGNAME@example.com" with LOGNAME unset gives
    // "@example.com", which would be judged as nobody's mail.
    if (at != std::string::npos && (at == 0 || at + 1 == text.size()))
        return "an address with an '@' has a local part before it and a "
               "domain after it";
    return "";
}

// A plain message has no envelope, and one guessed from its headers is
// the sender's to write: a hook that knows the envelope (procmail's
// LOGNAME, qmail's SENDER and RECIPIENT) says it instead. A record that
// names its own sender or recipients keeps them.
void give_envelope(stream::Record& record, const CommonOptions& options) {
    if (options.sender && !record.envelope.contains("mail_from"))
        record.envelope["mail_from"] = *options.sender;
    if (!options.recipients.empty() && !record.envelope.contains("rcpt"))
        record.envelope["rcpt"] = options.recipients;
    if (!options.received || record.envelope.contains("received"))
        return;
    if (*options.received != "headers") {
        record.envelope["received"] = *options.received;
        return;
    }
    if (auto arrived = mail::header_arrival_time(record.message))
        record.envelope["received"] = *arrived;
}

} // namespace

void add_common_options(CLI::App& app, CommonOptions& options) {
    app.add_option("inputs", options.inputs,
                   "Messages: files, folders, Maildirs, mboxes; - is stdin")
        ->type_name("PATH");
    app.add_flag_function(
        "--json", [&](int64_t) { options.form = OutputForm::json; },
        "Write one JSON envelope line per message, without the message");
    app.add_flag_function(
        "--headers", [&](int64_t) { options.form = OutputForm::headers; },
        "Write the message with verdict headers added (procmail, Sieve)");
    app.add_option_function<std::string>(
           "--config",
           [&](const std::string& path) {
               options.config_path = path;
               options.config_named = true;
           },
           "Configuration file")
        ->type_name("FILE");
    app.add_option("--state-dir", options.state_dir, "State folder")
        ->type_name("DIR");
    app.add_option("--verdicts", options.verdicts_path,
                   "Also append each verdict line, as --json writes it, to "
                   "FILE (for report)")
        ->type_name("FILE");
    app.add_flag("--log-json", options.log_json, "Write log events as JSON");
    app.add_flag("--quiet", options.quiet,
                 "Log no line per judged message; warnings and errors still");
    app.add_flag_callback(
        "--no-progress", [&options] { options.progress = false; },
        "Never draw a progress line on a terminal");
    app.add_flag("--raw", options.only_messages,
                 "Read stdin and files as messages, never as a stream "
                 "(mail straight from senders)");
    app.add_flag("--follow-links", options.follow_links,
                 "Follow symbolic links found in folders and Maildirs");
    app.add_option_function<std::string>(
           "--sender",
           [&](const std::string& address) { options.sender = address; },
           "Envelope sender of messages without one (\"\" for <>)")
        ->type_name("ADDRESS")
        ->check(CLI::Validator(
            [](std::string& text) {
                return envelope_address_problem(text, true);
            },
            ""));
    app.add_option("--recipient", options.recipients,
                   "Envelope recipient of messages without one "
                   "(repeatable)")
        ->type_name("ADDRESS")
        ->allow_extra_args(false)
        ->check(CLI::Validator(
            [](std::string& text) {
                return envelope_address_problem(text, false);
            },
            ""));
    app.add_option_function<std::string>(
           "--received",
           [&](const std::string& time) {
               // The hook that runs the filter as mail arrives knows
               // the arrival time; report's trends count by it.
               // An archive's mail arrived long ago: its headers say when.
               options.received = time == "now" ? utc_now(rfc3339_utc) : time;
           },
           "Arrival time of messages without one: RFC 3339, now, or "
           "headers (the top Received field's date, else Date's)")
        ->type_name("TIME")
        ->check(CLI::Validator(
            [](std::string& text) -> std::string {
                if (text == "now" || text == "headers" ||
                    mail::parse_rfc3339(text))
                    return "";
                return "not an RFC 3339 time (2026-12-06T08:45:00Z), now "
                       "or headers";
            },
            ""));
    app.add_option_function<std::string>(
           "--mbox-variant",
           [&](const std::string& name) {
               options.mbox_variant = name == "mboxo"
                                          ? source::MboxVariant::mboxo
                                          : source::MboxVariant::mboxrd;
           },
           "How >From quoting in mboxes is undone")
        ->check(CLI::IsMember({"mboxrd", "mboxo"}))
        ->type_name("VARIANT");
    app.add_option("--max-message-bytes", options.limits.message_bytes,
                   "Largest message read")
        ->type_name("N")
        ->check(positive);
    app.add_option("--max-mime-depth", options.limits.mime_depth,
                   "Deepest MIME nesting parsed")
        ->type_name("N")
        ->check(CLI::Validator(
            [](std::string& text) {
                return whole_number_problem(text, 1, Limits::most_mime_depth);
            },
            "1-" + std::to_string(Limits::most_mime_depth)));
    app.add_option("--max-mime-parts", options.limits.mime_parts,
                   "Most MIME parts parsed")
        ->type_name("N")
        ->check(positive);
    app.add_option("--parse-timeout-ms", options.limits.parse_timeout_ms,
                   "Longest time one message may take to parse")
        ->type_name("MS")
        ->check(positive);
}

const CLI::Validator
    positive([](std::string& text) { return whole_number_problem(text, 1); },
             "POSITIVE");

const CLI::Validator whole_number(
    [](std::string& text) { return whole_number_problem(text, 0); }, "WHOLE");

Result<config::Config> load_config(CommonOptions& options,
                                   const CLI::App& app) {
    // From here on, everything a tool logs (loading its rules or
    // signatures too) is in the form asked for.
    log::set_json(options.log_json);
    auto config = config::load(options.config_path, options.config_named);
    if (!config)
        return config.error();
    Limits from_flags = options.limits;
    Limits merged;
    auto applied = config::apply_limits(*config, merged);
    if (!applied)
        return applied.error();
    // A flag given on the command line beats the file.
    if (app.count("--max-message-bytes"))
        merged.message_bytes = from_flags.message_bytes;
    if (app.count("--max-mime-depth"))
        merged.mime_depth = from_flags.mime_depth;
    if (app.count("--max-mime-parts"))
        merged.mime_parts = from_flags.mime_parts;
    if (app.count("--parse-timeout-ms"))
        merged.parse_timeout_ms = from_flags.parse_timeout_ms;
    options.limits = merged;
    return config;
}

Result<config::Config> load_config(CommonOptions& options, const CLI::App& app,
                                   config::Keys keys, UnknownKeys unknown) {
    auto config = load_config(options, app);
    if (!config)
        return config;
    config->keys = std::move(keys);
    // A misspelt key is a setting silently not made: a reject band gone,
    // a policy list unread. The run stops, as for any bad value. A
    // section no program reads is named and passed over.
    std::vector<std::string> refused;
    for (std::string& problem : config::unknown_keys(*config)) {
        if (unknown == UnknownKeys::warn ||
            config::names_unknown_section(problem))
            log::warning(problem);
        else
            refused.push_back(std::move(problem));
    }
    if (refused.empty())
        return config;
    for (size_t i = 0; i + 1 < refused.size(); ++i)
        log::error(refused[i]);
    return Error{"", refused.back(), ExitCode::config};
}

constexpr const char* headers_take_one =
    "--headers writes one message; for more, use the stream or --json";

ExitCode run(const CommonOptions& options, std::string_view tool,
             const Handler& handler, const UnreadHook& on_unread) {
    log::set_json(options.log_json);
    // Two inputs named are two messages at least: refused before the
    // first is written, not after it (a folder or an mbox of several is
    // found only as its second message comes, below).
    if (options.form == OutputForm::headers && options.inputs.size() > 1) {
        log::error(headers_take_one);
        return ExitCode::usage;
    }
    source::Inputs inputs(options.inputs, options.limits, options.mbox_variant);
    // A procmail or pipe(8) filter must hand back the message it was
    // given, judged or not: one too large to read is written back as it
    // came, never refused as bad data (which Postfix would bounce). In the
    // other forms it goes on as a stream record over the limit does.
    inputs.pass_oversized_stdin();
    if (options.only_messages)
        inputs.read_only_messages();
    if (options.follow_links)
        inputs.follow_links();
    Output out;
    // Opened before any message is read: a log that cannot be kept is a
    // broken setup, not a gap found later.
    VerdictLog verdict_log;
    if (Status opened = verdict_log.open(options.verdicts_path); !opened) {
        log::error(opened.error().text());
        return opened.error().exit_code;
    }
    int deadline_ms = options.limits.parse_timeout_ms;
    // Every filter parses hostile input, so every filter runs under the
    // deadline. Past the soft one our own loops give up on the message;
    // past the hard one it is stuck where no check runs (inside GMime),
    // and a thread cannot be stopped safely: the stuck record is answered
    // with a tempfail verdict from here, the records before it are
    // written, and the process ends with 75 (see share/doc/verdict.md).
    // The lock keeps this from racing a handler that just returned.
    std::mutex flight_mutex;
    std::optional<stream::Record> in_flight;
    RecordClock clock;
    Watchdog watchdog([&](const std::string& id, int) {
        std::lock_guard<std::mutex> lock(flight_mutex);
        if (!in_flight)
            return;
        Outcome failed{tempfail_verdict(tool, {"", clock.expired}), {}};
        stream::append_verdict(*in_flight, failed.verdict);
        Status written =
            write_record(out, options.form, options.limits.envelope_line_bytes,
                         *in_flight, failed);
        out.flush();
        if (!written)
            log::error(written.error().text());
        log::error(fmt::format("{}: {}; stuck where it cannot be stopped, "
                               "so the run ends here and what follows it "
                               "is not read",
                               id, clock.expired));
        // The stuck thread holds library state: no destructor may run.
        ::_exit(to_int(ExitCode::temp_fail));
    });
    clock.watchdog = &watchdog;
    clock.mutex = &flight_mutex;
    int hard_ms = deadline_ms + hard_deadline_grace_ms(deadline_ms);
    Progress progress(options.progress);
    ExitCode status = ExitCode::ok;
    size_t written = 0; // records, for --headers
    // The verdict is kept only for a record that went out: one that a
    // closed stdout (`| head`) never took was not passed on.
    // A full disk fails every line after the first: three are named,
    // then one line says the rest are not, not one line per message.
    uint64_t log_failures = 0;
    auto note_log_failure = [&](const Error& error) {
        status = worse(status, error.exit_code);
        constexpr uint64_t max_named = 3;
        if (++log_failures <= max_named)
            log::error(error.text());
        else if (log_failures == max_named + 1)
            log::error(fmt::format("{}: more verdict lines are not written "
                                   "and not named; the run ends with 75",
                                   error.context));
    };
    auto keep_verdict = [&](const stream::Record& record, uint64_t bytes) {
        out.flush();
        if (out.broken())
            return;
        if (Status logged = verdict_log.append(record, bytes); !logged)
            note_log_failure(logged.error());
    };
    auto emit = [&](stream::Record& record, const Outcome& outcome) {
        Status done =
            write_record(out, options.form, options.limits.envelope_line_bytes,
                         record, outcome);
        if (!done) {
            log::error(done.error().text());
            status = worse(status, done.error().exit_code);
            return;
        }
        keep_verdict(record, record.message.size());
    };

    for (;;) {
        auto next = inputs.next();
        if (!next) {
            const Error& error = next.error();
            log::error(error.text());
            status = worse(status, error.exit_code);
            if (options.form == OutputForm::json)
                write_error_line(out, error);
            if (Status logged = verdict_log.append_error(error); !logged)
                note_log_failure(logged.error());
            continue;
        }
        if (!*next)
            break;
        stream::Record& record = **next;
        give_envelope(record, options);
        // --headers hands back one message: a second one written after it
        // would be glued to the first. The rest is read and dropped, as a
        // writer must see its bytes taken.
        if (options.form == OutputForm::headers && ++written > 1) {
            if (written == 2)
                log::error(headers_take_one);
            status = worse(status, ExitCode::usage);
            continue;
        }
        // Bad data, but well framed: the record is passed on held, never
        // dropped, and the run goes on with the next one.
        std::optional<ordered_json> held;
        if (record.bad_envelope) {
            log::error(record.bad_envelope->text());
            status = worse(status, record.bad_envelope->exit_code);
            held = bad_envelope_verdict(tool, *record.bad_envelope);
        }
        if (record.unread > 0) {
            Status passed = pass_unread(
                out, options.form, options.limits.envelope_line_bytes, inputs,
                record, [&](uint64_t size) {
                    return held ? *held
                                : too_large_verdict(
                                      tool, size, options.limits.message_bytes);
                });
            log::event(record.id(), "filter",
                       {{"error", fmt::format("{} bytes, over the limit "
                                              "message_bytes={}",
                                              record.unread,
                                              options.limits.message_bytes)}});
            if (passed)
                keep_verdict(record, record.unread);
            if (on_unread && !held && passed)
                on_unread(record);
            if (!passed) {
                log::error(passed.error().text());
                status = worse(status, passed.error().exit_code);
            }
            // Headers carry no verdict: a message that was never read
            // must not go on as if it had been judged (exit-status.md).
            if (options.form == OutputForm::headers)
                status = worse(status, ExitCode::temp_fail);
            progress.tick();
            out.flush();
            if (out.broken())
                break;
            continue;
        }
        if (held) {
            stream::append_verdict(record, *held);
            emit(record, Outcome{*held, {}});
            progress.tick();
            out.flush();
            if (out.broken())
                break;
            continue;
        }

        auto started = std::chrono::steady_clock::now();
        {
            std::lock_guard<std::mutex> lock(flight_mutex);
            in_flight = record;
            clock.expired = timeout_text(deadline_ms);
        }
        clock.id = record.id();
        set_deadline(std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(deadline_ms));
        std::optional<WatchdogScope> deadline;
        deadline.emplace(watchdog, record.id(), hard_ms);
        record_clock = &clock;
        auto outcome = handle_guarded(handler, record);
        record_clock = nullptr;
        std::optional<stream::Record> original;
        {
            std::lock_guard<std::mutex> lock(flight_mutex);
            original = std::move(in_flight);
            in_flight.reset();
        }
        deadline.reset();
        // A message past its deadline fails alone, whether our own checks
        // gave up on it or it finished late; the run goes on.
        if (deadline_passed()) {
            outcome = Error{"", clock.expired, ExitCode::temp_fail};
            log::error(record.id() + ": " + outcome.error().message);
        }
        clear_deadline();
        if (!outcome) {
            log::event(record.id(), "filter",
                       {{"error", outcome.error().text()}});
            // What the handler changed before it failed (a tag, headers
            // of a score it never finished) is not passed on.
            record = std::move(*original);
            Outcome failed{tempfail_verdict(tool, outcome.error()), {}};
            stream::append_verdict(record, failed.verdict);
            emit(record, failed);
            // Headers carry no verdict: the message must not go on as if
            // it had been judged, so the caller is told to try again.
            if (options.form == OutputForm::headers)
                status = worse(status, ExitCode::temp_fail);
        } else {
            // A tool makes its verdict once it knows the answer (spam-score
            // after scoring): the time is the whole record's, taken here.
            if (outcome->verdict.contains("elapsed_us"))
                outcome->verdict["elapsed_us"] =
                    std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
            stream::append_verdict(record, outcome->verdict);
            std::string judged = last_action(record.envelope);
            emit(record, *outcome);
            // The log says the action written: a verdict too long for
            // the envelope line was written as tempfail, for every
            // recipient.
            std::string action = last_action(record.envelope);
            // A batch of years of mail, read from cron, wants its
            // warnings and errors alone: the verdicts say the rest. An
            // event that names an error or a refused setting, or whose
            // verdict was rewritten to tempfail, is no judgement line.
            if (options.quiet && action == judged)
                std::erase_if(outcome->events, [](const auto& event) {
                    const auto& fields = event.second;
                    return !fields.contains("error") &&
                           !fields.contains("refused");
                });
            for (auto& [subsystem, fields] : outcome->events) {
                if (action != judged && fields.contains("action"))
                    fields["action"] = action;
                log::event(record.id(), subsystem, fields);
            }
            if (options.form == OutputForm::stream)
                for (stream::Record& follower : outcome->followers)
                    emit(follower, {});
        }
        progress.tick();
        // Each record goes out once it is judged: a resident worker must
        // answer before it blocks reading the next, and a run that ends
        // any other way (a signal, a crash inside a library) must not
        // take the records it finished along.
        out.flush();
        if (out.broken())
            break;
    }
    progress.finish();
    out.flush();
    if (out.failed())
        return ExitCode::io_error;
    return status;
}

} // namespace portcullis::filter
