// av-scan: one record at a time, scan, judge, act. The engine is checked
// for a newer signature folder between records, never during one.
#include "av_scan.hpp"

#include "av_actions.hpp"
#include "av_headers.hpp"
#include "av_notice.hpp"
#include "av_views.hpp"
#include "core/log.hpp"
#include "core/strings.hpp"
#include "core/watchdog.hpp"
#include "mail/envelope.hpp"
#include "mail/verdict.hpp"

#include <algorithm>
#include <chrono>
#include <fmt/format.h>

namespace portcullis::av {

using nlohmann::ordered_json;

namespace {

constexpr const char* tool_name = "av-scan";

struct Setting {
    const char* key;
    const char* flag;
};

const Setting policy_settings[] = {
    {"on_infected", "--on-infected"},
    {"on_scan_limit", "--on-scan-limit"},
    {"on_encrypted", "--on-encrypted"},
};

const Setting limit_settings[] = {
    {"max_recursion", "--max-scan-recursion"},
    {"max_files", "--max-scan-files"},
    {"max_file_bytes", "--max-scan-file-bytes"},
    {"max_scan_bytes", "--max-scan-bytes"},
    {"max_scan_time_ms", "--max-scan-time-ms"},
};

Policy& policy_field(Options& options, std::string_view key) {
    if (key == "on_scan_limit")
        return options.on_scan_limit;
    if (key == "on_encrypted")
        return options.on_encrypted;
    return options.on_infected;
}

template <class T> void set_limit(T& field, int64_t value) {
    field = static_cast<T>(value);
}

void limit_field(ScanLimits& limits, std::string_view key, int64_t value) {
    if (key == "max_recursion")
        set_limit(limits.max_recursion, value);
    else if (key == "max_files")
        set_limit(limits.max_files, value);
    else if (key == "max_file_bytes")
        set_limit(limits.max_file_bytes, value);
    else if (key == "max_scan_bytes")
        set_limit(limits.max_scan_bytes, value);
    else
        set_limit(limits.max_scan_time_ms, value);
}

Status apply_key(const config::Config& config, const CLI::App& app,
                 std::string_view key, const toml::node& node,
                 Options& options) {
    auto bad = [&](std::string what) {
        return Error{config::where(config, node),
                     fmt::format("av-scan.{} {}", key, what), ExitCode::config};
    };
    if (key == "db" || key == "tmp_dir") {
        auto value = node.value<std::string>();
        if (!value)
            return bad("must be a string");
        if (terminal_safe(*value) != *value)
            return bad("holds a control character");
        std::string& field =
            key == "db" ? options.db_dir : options.engine.tmp_dir;
        if (!app.count(key == "db" ? "--db" : "--tmp-dir"))
            field = config::resolve_path(config, *value);
        return {};
    }
    for (const Setting& s : policy_settings) {
        if (key != s.key)
            continue;
        auto value = node.value<std::string>();
        auto policy = value ? parse_policy(*value) : std::nullopt;
        if (!policy)
            return bad("must be delete, clean, quarantine or pass");
        if (*policy == Policy::pass && key == "on_infected")
            return bad("cannot be pass");
        if (!app.count(s.flag))
            policy_field(options, key) = *policy;
        return {};
    }
    for (const Setting& s : limit_settings) {
        if (key != s.key)
            continue;
        auto value = node.value<int64_t>();
        if (!value || *value <= 0 || *value > UINT32_MAX)
            return bad("must be a positive integer");
        if (!app.count(s.flag))
            limit_field(options.engine.limits, key, *value);
        return {};
    }
    return Error{config::where(config, node),
                 fmt::format("unknown setting \"av-scan.{}\"", key),
                 ExitCode::config};
}

Policy policy_for(const Options& options, Outcome outcome) {
    switch (outcome) {
    case Outcome::infected:
        return options.on_infected;
    case Outcome::scan_limit:
        return options.on_scan_limit;
    case Outcome::encrypted:
        return options.on_encrypted;
    case Outcome::clean:
        return Policy::pass;
    }
    return Policy::pass;
}

ordered_json describe(const Finding& finding) {
    ordered_json seen = ordered_json::array();
    for (const Sighting& s : finding.seen) {
        ordered_json entry{{"view", s.view}};
        if (!s.part.empty())
            entry["part"] = s.part;
        if (!s.filename.empty())
            entry["filename"] = s.filename;
        seen.push_back(std::move(entry));
    }
    return {{"result", to_string(finding.result.outcome)},
            {"name", finding.result.name},
            {"seen", std::move(seen)}};
}

std::string where_seen(const Finding& finding) {
    std::string out;
    for (const Sighting& s : finding.seen) {
        out += out.empty() ? "" : ", ";
        out += s.view;
        if (!s.part.empty())
            out += " part " + s.part;
        if (!s.filename.empty())
            out += " (" + s.filename + ")";
    }
    return out;
}

std::string reason_id(Outcome outcome) {
    switch (outcome) {
    case Outcome::infected:
        return "AV_INFECTED";
    case Outcome::scan_limit:
        return "AV_SCAN_LIMIT";
    case Outcome::encrypted:
        return "AV_ENCRYPTED";
    case Outcome::clean:
        break;
    }
    return "AV_CLEAN";
}

void describe_scan(const Scan& scan, verdict::Verdict& verdict) {
    ordered_json findings = ordered_json::array();
    for (const Finding& f : scan.findings) {
        verdict.add_reason({reason_id(f.result.outcome), 0,
                            f.result.name + " in " + where_seen(f)});
        findings.push_back(describe(f));
    }
    ordered_json gaps = ordered_json::array();
    for (const ViewGap& gap : scan.gaps) {
        std::string id = gap.only.view == "strict" ? "AV_ONLY_STRICT_VIEW"
                                                   : "AV_ONLY_LENIENT_VIEW";
        verdict.add_reason({id, 0,
                            fmt::format("part {} ({}, {} bytes) seen by the "
                                        "{} parser only",
                                        gap.only.part, gap.only.filename,
                                        gap.size_bytes, gap.only.view)});
        gaps.push_back({{"view", gap.only.view},
                        {"part", gap.only.part},
                        {"filename", gap.only.filename},
                        {"size", gap.size_bytes}});
    }
    // One note per place: both views' sightings of it are listed.
    ordered_json differ = ordered_json::array();
    for (const Sighting& s : scan.decode_differences) {
        if (std::find(differ.begin(), differ.end(), s.part) != differ.end())
            continue;
        differ.push_back(s.part);
        verdict.add_reason({"AV_VIEWS_DECODE_DIFFER", 0,
                            fmt::format("part {} decodes differently in the "
                                        "two views; both were scanned",
                                        s.part)});
    }
    verdict.extra()["status"] = to_string(scan.outcome());
    verdict.extra()["findings"] = std::move(findings);
    verdict.extra()["view_gaps"] = std::move(gaps);
    verdict.extra()["decode_differences"] = std::move(differ);
    if (!scan.strict)
        verdict.extra()["strict_error"] = scan.strict_error;
}

// The reason a message stuck in libclamav is failed with.
std::string scan_timeout_text(int timeout_ms) {
    return fmt::format("scanning exceeded the scan time limit of {} ms",
                       timeout_ms);
}

class Handler {
public:
    Handler(const Options& options, Watcher& watcher)
        : options_(options), watcher_(watcher) {}

    Result<filter::Outcome> operator()(stream::Record& record);

private:
    Result<filter::Outcome> judge(stream::Record& record);
    Policy decide(const Scan& scan) const;
    Status act(Policy policy, const Scan& scan, stream::Record& record,
               verdict::Verdict& verdict);
    Status try_clean(const Scan& scan, stream::Record& record,
                     verdict::Verdict& verdict);
    Status hold(stream::Record& record, verdict::Verdict& verdict);

    void refresh();
    Result<Scan> parse_views(std::string_view message) const;
    Result<Scan> scan_views(std::string_view message, Scan scan) const;
    void own_work() const;

    const Options& options_;
    Watcher& watcher_;
    int reloads_seen_ = 0;
    std::string held_at_; ///< this record's quarantine file, if any
};

// Each phase of a record has a time limit of its own, kept by the shared
// loop (share/doc/verdict.md): parsing the parse timeout, as in
// mime-split, since GMime can loop forever on some input (shared case
// C21), and scanning --max-scan-time-ms. A parse past its limit fails
// the message alone; a scan past its limit is a scan_limit finding. Only
// a phase stuck past its hard limit ends the run, its record answered.
Result<Scan> Handler::parse_views(std::string_view message) const {
    const Limits& limits = options_.common.limits;
    filter::restart_deadline(limits.parse_timeout_ms,
                             filter::timeout_text(limits.parse_timeout_ms));
    Scan scan = parse_message(message, limits);
    bool late = deadline_passed();
    own_work();
    if (late)
        return Error{"", filter::timeout_text(limits.parse_timeout_ms),
                     ExitCode::temp_fail};
    return scan;
}

Result<Scan> Handler::scan_views(std::string_view message, Scan scan) const {
    uint32_t scan_ms = options_.engine.limits.max_scan_time_ms;
    int timeout_ms = static_cast<int>(std::min<uint32_t>(scan_ms, 1u << 29));
    filter::restart_deadline(timeout_ms, scan_timeout_text(timeout_ms));
    auto scanned = scan_parsed(watcher_.engine(), message, scan_ms, scan);
    own_work();
    if (!scanned)
        return scanned.error();
    return scan;
}

// Between and after the phases av-scan works on the message itself
// (cleaning, quarantine), bounded as every filter is by the parse
// timeout; a scan that ran late has had its say as a finding.
void Handler::own_work() const {
    int timeout_ms = options_.common.limits.parse_timeout_ms;
    filter::restart_deadline(timeout_ms, filter::timeout_text(timeout_ms));
}

void Handler::refresh() {
    if (auto reloaded = watcher_.refresh(); !reloaded) {
        log::warning(fmt::format("{}: reload failed, keeping the old engine",
                                 reloaded.error().text()));
        return;
    }
    if (watcher_.reloads() == reloads_seen_)
        return;
    reloads_seen_ = watcher_.reloads();
    log::event("-", "av",
               {{"reload", options_.db_dir},
                {"signatures", watcher_.engine().signatures()}});
}

Policy Handler::decide(const Scan& scan) const {
    Policy worst = Policy::pass;
    for (const Finding& f : scan.findings)
        worst = std::max(worst, policy_for(options_, f.result.outcome));
    return worst;
}

Status Handler::hold(stream::Record& record, verdict::Verdict& verdict) {
    verdict.escalate(verdict::Action::quarantine);
    ordered_json saved{{"envelope", record.envelope},
                       {"verdict", verdict.to_json()}};
    auto path = quarantine(options_.common.state_dir, record.id(),
                           record.message, saved);
    if (!path)
        return path.error();
    verdict.add_effect({{"quarantine", *path}});
    held_at_ = *path;
    return {};
}

// Only parts the lenient view located in the raw bytes can be cut out.
// A finding elsewhere (the raw bytes, a part only GMime saw) is left to
// the rescan of the cleaned message: if it is still there, the message
// is held instead.
Status Handler::try_clean(const Scan& scan, stream::Record& record,
                          verdict::Verdict& verdict) {
    std::vector<Removal> removals;
    for (const Finding& f : scan.findings) {
        if (policy_for(options_, f.result.outcome) != Policy::clean)
            continue;
        std::string reason =
            fmt::format("{} ({})", to_string(f.result.outcome), f.result.name);
        for (const Sighting& s : f.seen) {
            if (s.lenient_index)
                removals.push_back({*s.lenient_index, reason});
        }
    }
    if (removals.empty())
        return Error{"clean", "no part to remove"};
    auto cleaned = clean_message(record.message, scan.lenient, removals);
    if (!cleaned)
        return cleaned.error();
    auto parsed = parse_views(*cleaned);
    if (!parsed)
        return parsed.error();
    auto again = scan_views(*cleaned, std::move(*parsed));
    if (!again)
        return again.error();
    // What the administrator lets pass (a limit, say) may remain.
    if (decide(*again) != Policy::pass)
        return Error{"clean", "the cleaned message does not scan clean"};

    ordered_json removed = ordered_json::array();
    for (const Removal& r : removals)
        removed.push_back(scan.lenient.parts[r.lenient_index].path);
    verdict.extra()["cleaned"] = std::move(removed);
    record.message = std::move(*cleaned);
    return {};
}

// A message deleted from a record whose envelope was guessed from its
// headers (a batch scan of a Maildir) takes the guess with it: the
// filters after this one can no longer read the headers, and wiretap
// still owes the tap's reviewer the event. "envelope_guessed" says the
// addresses came from the headers, not from the mail server.
void keep_guessed_envelope(stream::Record& record, size_t max_header_bytes) {
    mail::Envelope guessed =
        mail::read_envelope(record.envelope, record.message, max_header_bytes);
    bool kept = false;
    if (guessed.mail_from_guessed && !guessed.mail_from.empty()) {
        record.envelope["mail_from"] = guessed.mail_from;
        kept = true;
    }
    if (guessed.rcpt_guessed && !guessed.rcpt.empty()) {
        record.envelope["rcpt"] = guessed.rcpt;
        kept = true;
    }
    if (kept)
        record.envelope["envelope_guessed"] = true;
}

Status Handler::act(Policy policy, const Scan& scan, stream::Record& record,
                    verdict::Verdict& verdict) {
    switch (policy) {
    case Policy::pass:
        return {};
    case Policy::remove:
        verdict.escalate(verdict::Action::discard);
        keep_guessed_envelope(record,
                              options_.common.limits.header_block_bytes);
        record.message.clear();
        return {};
    case Policy::quarantine:
        return hold(record, verdict);
    case Policy::clean:
        break;
    }
    auto cleaned = try_clean(scan, record, verdict);
    if (cleaned)
        return {};
    verdict.add_reason({"AV_CLEAN_FAILED", 0, cleaned.error().text()});
    return hold(record, verdict);
}

// A scan that failed says nothing about the message: it is retried
// later, never passed as clean.
filter::Outcome scan_failed(const stream::Record& record, const Error& error) {
    verdict::Verdict verdict(tool_name, PORTCULLIS_VERSION);
    verdict.escalate(verdict::Action::tempfail);
    verdict.add_reason({"AV_SCAN_ERROR", 0, error.text()});
    verdict.extra()["status"] = "error";
    log::event(
        record.id(), "av",
        {{"status", "error"}, {"action", "tempfail"}, {"error", error.text()}});
    return {verdict.to_json(), {{"X-Portcullis-AV", "error"}}};
}

// What av-scan did to the message, as --headers names it; empty when it
// passed unchanged.
std::string_view action_taken(verdict::Verdict& verdict) {
    if (verdict.action() == verdict::Action::discard)
        return "delete";
    if (verdict.action() == verdict::Action::quarantine)
        return "quarantine";
    if (verdict.extra().contains("cleaned"))
        return "clean";
    return "";
}

std::vector<std::pair<std::string, std::string>>
av_headers(const Scan& scan, verdict::Verdict& verdict) {
    std::vector<std::pair<std::string, std::string>> headers{
        {"X-Portcullis-AV", std::string(to_string(scan.outcome()))}};
    if (std::string_view action = action_taken(verdict); !action.empty())
        headers.emplace_back("X-Portcullis-AV-Action", std::string(action));
    // A name seen in several views or parts is one finding to the reader.
    for (const Finding& f : scan.findings) {
        std::pair<std::string, std::string> found{"X-Portcullis-AV-Found",
                                                  f.result.name};
        if (std::find(headers.begin(), headers.end(), found) == headers.end())
            headers.push_back(std::move(found));
    }
    return headers;
}

// The body of the notice that stands in for a message deleted or held.
std::vector<std::string> notice_body(std::string_view action, const Scan& scan,
                                     const std::string& held_at) {
    std::vector<std::string> body;
    if (action == "delete")
        body = {"This message was deleted by av-scan, the Portcullis virus",
                "scanner, because of what it held:", ""};
    else
        body = {"This message is held in quarantine by av-scan, the",
                "Portcullis virus scanner, because of what it held:", ""};
    for (const Finding& f : scan.findings) {
        std::string line = fmt::format("  {} ({})", f.result.name,
                                       to_string(f.result.outcome));
        line = printable_ascii(line);
        if (std::find(body.begin(), body.end(), line) == body.end())
            body.push_back(std::move(line));
    }
    body.emplace_back();
    if (action == "delete") {
        body.emplace_back("Nothing of it was kept.");
        return body;
    }
    // The date folder and the file: YYYY-MM-DD/NAME.eml.
    size_t file = held_at.find_last_of('/');
    size_t folder = file == std::string::npos || file == 0
                        ? std::string::npos
                        : held_at.find_last_of('/', file - 1);
    std::string name =
        held_at.substr(folder == std::string::npos ? 0 : folder + 1);
    body.emplace_back("Your mail administrator can release it; it is filed");
    body.push_back(printable_ascii("as " + name + "."));
    return body;
}

// Planted copies go even when the message fails: a tempfail carries no
// header of ours, and must not carry the sender's. They go in stream
// form too, where av-scan writes none: later filters and mailbox rules
// take an X-Portcullis-AV field for av-scan's, and a sender's "clean"
// passed the stream chain to policy-check --headers (a break test).
Result<filter::Outcome> Handler::operator()(stream::Record& record) {
    auto outcome = judge(record);
    record.message = remove_av_headers(record.message);
    return outcome;
}

// Loading new signatures reads only trusted files and may take seconds:
// no message is timed for it.
Result<filter::Outcome> Handler::judge(stream::Record& record) {
    filter::pause_deadline();
    refresh();
    verdict::Verdict verdict(tool_name, PORTCULLIS_VERSION);
    auto parsed = parse_views(record.message);
    if (!parsed) {
        log::error(record.id() + ": " + parsed.error().message);
        return parsed.error();
    }
    auto found = scan_views(record.message, std::move(*parsed));
    if (!found)
        return scan_failed(record, found.error());
    const Scan& scan = *found;
    describe_scan(scan, verdict);

    Policy policy = decide(scan);
    verdict.extra()["policy"] = to_string(policy);
    held_at_.clear();
    bool headers_form = options_.common.form == filter::OutputForm::headers;
    std::string original = headers_form ? record.message : std::string();
    if (auto acted = act(policy, scan, record, verdict); !acted) {
        // A procmail or Sieve filter must not deliver the message: the
        // error makes it a retry (75). A stream keeps what was found, so
        // reports still count the virus, and asks for a retry.
        if (headers_form)
            return acted.error();
        log::error(record.id() + ": " + acted.error().text());
        verdict.escalate(verdict::Action::tempfail);
        verdict.add_reason({"AV_ACTION_FAILED", 0, acted.error().text()});
    }
    // A procmail or Sieve filter delivers what --headers writes, and it
    // has no verdict to read: a deleted or held message becomes a notice.
    std::string_view action = action_taken(verdict);
    if (headers_form && (action == "delete" || action == "quarantine"))
        record.message =
            notice_message(original, notice_body(action, scan, held_at_));
    filter::Outcome outcome{verdict.to_json(), av_headers(scan, verdict)};
    // Logged by the filter once the outcome stands: a message that
    // misses its deadline gets tempfail, not this action.
    if (policy != Policy::pass || !scan.gaps.empty())
        outcome.events.push_back(
            {"av",
             {{"status", to_string(scan.outcome())},
              {"policy", to_string(policy)},
              {"action", verdict::to_string(verdict.action())}}});
    return outcome;
}

} // namespace

std::optional<Policy> parse_policy(std::string_view name) {
    if (name == "pass")
        return Policy::pass;
    if (name == "clean")
        return Policy::clean;
    if (name == "quarantine")
        return Policy::quarantine;
    if (name == "delete")
        return Policy::remove;
    return std::nullopt;
}

std::string_view to_string(Policy policy) {
    switch (policy) {
    case Policy::pass:
        return "pass";
    case Policy::clean:
        return "clean";
    case Policy::quarantine:
        return "quarantine";
    case Policy::remove:
        return "delete";
    }
    return "pass";
}

Status apply_config(const config::Config& config, const CLI::App& app,
                    Options& options) {
    for (auto&& [key, node] : config.tool(tool_name)) {
        if (auto status = apply_key(config, app, key.str(), node, options);
            !status)
            return status;
    }
    return {};
}

ExitCode run(const Options& options) {
    Watcher watcher(options.db_dir, options.engine);
    auto began = std::chrono::steady_clock::now();
    if (auto started = watcher.start(); !started) {
        log::error(started.error().text());
        return started.error().exit_code;
    }
    auto load_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - began);
    // Which signatures a run used; a batch run with --quiet says nothing
    // but its warnings and errors.
    if (!options.common.quiet)
        log::event("-", "av",
                   {{"engine", options.db_dir},
                    {"signatures", watcher.engine().signatures()},
                    {"load_ms", load_ms.count()}});
    // A policy that holds messages needs the quarantine; finding out
    // at the first virus would turn each one found into a bare retry.
    auto holds = [](Policy policy) {
        return policy == Policy::quarantine || policy == Policy::clean;
    };
    if (holds(options.on_infected) || holds(options.on_scan_limit) ||
        holds(options.on_encrypted)) {
        if (auto ready = check_quarantine(options.common.state_dir); !ready) {
            log::error(fmt::format("{}; av-scan holds messages there "
                                   "(on_infected, on_scan_limit and "
                                   "on_encrypted quarantine or clean): set "
                                   "--state-dir or PORTCULLIS_STATE_DIR",
                                   ready.error().text()));
            return ready.error().exit_code;
        }
    }
    Handler handler(options, watcher);
    return filter::run(options.common, tool_name,
                       [&](stream::Record& record) { return handler(record); });
}

} // namespace portcullis::av
