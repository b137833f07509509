// wiretap's logic: taps from TOML, matching a record's envelope against
// them, and delivering invisible copies to a review Maildir or address.
// The original passes byte for byte; copies carry their own envelope.
#pragma once

#include "core/config.hpp"
#include "core/filter.hpp"
#include "mail/address_pattern.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::wiretap {

/// What a failure says wherever a sender or the watched person could
/// read it: nothing of taps, copies or where they go.
inline constexpr const char* generic_failure =
    "temporary failure; try again later";

/// Options beyond the common ones.
struct Options {
    filter::CommonOptions common;
    bool list = false;
};

/// One watched address or domain and where its copies go.
struct Tap {
    std::string name;
    mail::AddressIndex watch; ///< as policy-check reads them
    bool inbound = true;      ///< mail to a watched address
    bool outbound = true;     ///< mail from a watched address
    std::string maildir;      ///< review Maildir, or
    std::string deliver_to;   ///< review address via the daemon
    std::string where;        ///< file:line, for errors and --list

    /// Returns true when the address is watched by this tap.
    bool watches(std::string_view address) const;
};

/// Everything wiretap reads from [wiretap].
struct Settings {
    std::vector<Tap> taps;
    std::string bounce_address;  ///< return path of copies; may be empty
    std::string log_file;        ///< admin-only record of every copy
    std::string undelivered_dir; ///< Maildir for copies that failed
    /// Each character ends a local part's base address (bob+tag@).
    std::string subaddress_separators = "+";
    /// How much of a header block a guessed envelope is read from
    /// ([limits] header_block_bytes).
    size_t max_header_bytes = Limits{}.header_block_bytes;
};

/// The addresses a record is matched on: in every reading a server could
/// deliver it by, a guessed envelope in every reading of its headers.
struct Parties {
    std::vector<std::string> senders;
    std::vector<std::string> recipients;
};

/// The keys wiretap reads from [wiretap]; each [[wiretap.tap]] is
/// checked on its own, strictly, as it is read.
inline const config::Keys config_keys{"wiretap",
                                      {"bounce_address", "log_file",
                                       "undelivered_maildir",
                                       "subaddress_separators", "tap"}};

/// Reads [wiretap] from the configuration; errors name file:line, and a
/// key config_keys does not declare is one.
Result<Settings> load_settings(const config::Config& config,
                               const std::string& state_dir);

/// Returns what --list says on stderr when no tap is configured.
std::string no_taps_text(const config::Config& config);

/// Returns every addr-spec-looking token of the text ("x@y" however the
/// rest of it reads), with and without its comments.
std::vector<std::string> address_tokens(std::string_view text);

/// Returns, in normal form, each address a server could deliver this one
/// to: as written, without a source route, its addr-spec tokens, each
/// hop of the percent hack, and without a sub-address.
std::vector<std::string> delivery_readings(std::string_view address,
                                           std::string_view separators);

/// Returns the parties of a record; a guessed sender or recipient list
/// is widened to every address its header fields could give.
Parties record_parties(const Settings& settings,
                       const nlohmann::ordered_json& envelope,
                       std::string_view message);

/// Returns the taps whose watched addresses are among the parties.
std::vector<const Tap*> matching_taps(const Settings& settings,
                                      const Parties& parties);

/// Writes one line per tap to out, for --list.
std::string list_taps(const Settings& settings);

/// Makes every diagnostic discreet (log::set_discreet) when the
/// arguments ask for the --headers form and stderr is no terminal:
/// Postfix's pipe(8) sends that stderr to the sender, procmail to the
/// user's log. Called before the arguments are parsed.
void hide_from_stderr_readers(int argc, char** argv);

/// Runs wiretap over all inputs; returns the exit status.
ExitCode run(const Options& options, const Settings& settings);

} // namespace portcullis::wiretap
