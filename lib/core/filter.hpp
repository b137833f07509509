// What every filter shares: the common options (inputs, output form,
// configuration, limits, logging) and the loop that reads records, hands
// each to the tool, and writes the stream, JSON lines or headed message.
#pragma once

#include "core/config.hpp"
#include "core/limits.hpp"
#include "core/paths.hpp"
#include "core/result.hpp"
#include "core/source.hpp"
#include "core/stream.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace portcullis::filter {

/// How a filter writes its results.
enum class OutputForm {
    stream,  ///< records: envelope line, then the message bytes
    json,    ///< one envelope line per message, no message bytes
    headers, ///< the message with SpamAssassin-style headers added
};

/// The options every filter accepts.
struct CommonOptions {
    std::vector<std::string> inputs;
    OutputForm form = OutputForm::stream;
    std::string config_path = config::default_path;
    bool config_named = false;
    std::string state_dir = paths::state_dir(); ///< --state-dir
    bool log_json = false;
    bool quiet = false; ///< --quiet: no log line per judged message
    bool progress = true;
    source::MboxVariant mbox_variant = source::MboxVariant::mboxrd;
    bool only_messages = false; ///< --raw: input is never a stream
    bool follow_links = false;  ///< --follow-links: walks follow links
    /// --sender, --recipient: the envelope of messages that have none.
    std::optional<std::string> sender;
    std::vector<std::string> recipients;
    /// --received: the arrival time (RFC 3339) of messages without one.
    std::optional<std::string> received;
    /// --verdicts: each record's envelope line, as --json writes it, is
    /// appended here too, in any form (procmail keeps no stream).
    std::string verdicts_path;
    Limits limits;
};

/// Checks an option's value is a whole number from 1 to 2^31 - 1 and says
/// plainly what is wrong when it is not (CLI11's own check prints a range
/// of some 300 digits, and a value too large to hold passed unseen).
extern const CLI::Validator positive;

/// Checks an option's value as positive does, 0 allowed.
extern const CLI::Validator whole_number;

/// Adds the common options to a CLI11 app, bound to options.
void add_common_options(CLI::App& app, CommonOptions& options);

/// Loads the configuration and applies its limits; flags set on the
/// command line are applied again afterwards so they win.
Result<config::Config> load_config(CommonOptions& options, const CLI::App& app);

/// Whether an unknown key in the main file stops the run or is named.
enum class UnknownKeys { refuse, warn };

/// As above for a tool that declares the keys it reads: each key of the
/// file it does not declare, and each section that names no program, is
/// a configuration error naming file:line (exit 78), or with
/// UnknownKeys::warn (a check that counts them itself) a warning;
/// domain files are checked as they load.
Result<config::Config> load_config(CommonOptions& options, const CLI::App& app,
                                   config::Keys keys,
                                   UnknownKeys unknown = UnknownKeys::refuse);

/// What a filter returns for one record.
struct Outcome {
    nlohmann::ordered_json verdict;
    /// Header lines for --headers, name then value.
    std::vector<std::pair<std::string, std::string>> headers;
    /// Records of their own written after this one, in the stream form
    /// alone (wiretap's copies); the other forms cannot carry them.
    std::vector<stream::Record> followers = {};
    /// Log events about this outcome (subsystem, fields), written with
    /// the record's id once it stands: a message that missed its
    /// deadline gets tempfail, and no line may say it got anything else.
    std::vector<std::pair<std::string, nlohmann::ordered_json>> events = {};
};

/// Handles one record; may rewrite record.message. An Error is logged
/// and the record passes on with a tempfail verdict, never dropped.
using Handler = std::function<Result<Outcome>(stream::Record&)>;

/// Sees a record over the size limit once it has been passed on unread
/// with a quarantine verdict: its envelope and size (Record::unread), and
/// for a raw message its first bytes, from which an envelope is guessed;
/// never one whose envelope is bad.
using UnreadHook = std::function<void(const stream::Record&)>;

/// Runs the handler over every input record and writes the output form.
/// A record whose envelope is bad (stream::Record::bad_envelope) is not
/// handled: it passes on with a quarantine verdict and the status is 65.
/// Returns the exit status: 0 when all input was processed.
ExitCode run(const CommonOptions& options, std::string_view tool,
             const Handler& handler, const UnreadHook& on_unread = {});

/// Returns the tempfail reason of a record past the parse timeout.
std::string timeout_text(int timeout_ms);

/// Times the rest of the record being handled anew from now, for a tool
/// whose work has phases with limits of their own (av-scan parses, then
/// scans): past timeout_ms the record fails with the reason expired, and
/// stuck past the hard limit after it, it ends the run as any record
/// does. Does nothing outside a handler.
void restart_deadline(int timeout_ms, std::string expired);

/// Stops timing the record being handled until restart_deadline: for
/// long work on trusted input, such as loading new signatures.
void pause_deadline();

/// Parses argv with CLI11 and maps --help, --version and usage errors to
/// output and an exit status; nullopt means parsing succeeded.
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv);

/// Runs body and maps an escaped exception to exit 70 with a diagnostic.
int guard_main(const std::function<int()>& body);

} // namespace portcullis::filter
