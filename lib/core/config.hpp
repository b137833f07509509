// The TOML configuration: /etc/portcullis/portcullis.toml by default, a
// table per tool, [limits] shared. Errors name file:line.
#pragma once

#include "core/limits.hpp"
#include "core/result.hpp"

#include <toml++/toml.h>

#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace portcullis::config {

/// The configuration file used when --config is not given.
inline constexpr const char* default_path = "/etc/portcullis/portcullis.toml";

/// The keys one tool reads from its table, as dotted paths such as
/// "bayes.min_learned"; "thresholds.*" admits any key below thresholds.
struct Keys {
    std::string tool; ///< empty: no tool declared its keys
    std::vector<std::string> paths;
    /// Keys read from the system configuration alone: in a domain file
    /// they are named as ignored rather than taken silently.
    std::vector<std::string> system_only = {};
    /// Keys a release no longer reads, each with what to write instead:
    /// named in the unknown key's problem, so an old file is mended
    /// without a search.
    std::vector<std::pair<std::string, std::string>> retired = {};
};

/// A parsed configuration file and where it came from.
struct Config {
    std::string path; ///< empty when no file was read
    toml::table root;
    Keys keys; ///< what the tool that loaded it reads, for domain files too

    /// Returns the table for one tool, empty when absent.
    const toml::table& tool(std::string_view name) const;
};

/// The largest main configuration file read; domain files have their
/// own cap, [limits] domain_file_bytes.
inline constexpr size_t max_file_bytes = 16u << 20;

/// Loads a configuration file: a regular file of at most max_bytes. A
/// missing default file is an empty configuration; a missing file named
/// on purpose is an error.
Result<Config> load(const std::string& path, bool named_on_purpose,
                    size_t max_bytes = max_file_bytes);

/// Returns path as the configuration means it: a relative path is taken
/// from the folder of the configuration file, so that a tool run from
/// cron or procmail finds what the administrator's shell found; an
/// absolute path, or any path when no file was read, is as written.
std::string resolve_path(const Config& config, std::string_view path);

/// Returns the path a value names (see resolve_path); a value that is
/// not a string, is empty or holds a control character is an Error
/// naming file:line and key.
Result<std::string> path_value(const Config& config, const toml::node& node,
                               std::string_view key);

/// Applies [limits] from the configuration over the defaults.
Status apply_limits(const Config& config, Limits& limits);

/// Returns "file:line: message" for a node, as errors about values say.
std::string where(const Config& config, const toml::node& node);

/// Returns "file:line: unknown key \"KEY\" in [SECTION]" for each key
/// of a tool's table that keys does not declare, in file order.
std::vector<std::string> unknown_keys(const toml::table& table,
                                      const Keys& keys, std::string_view file,
                                      std::string_view section);

/// Returns the unknown keys of a main file: sections that name no program
/// and keys of config.keys.tool's table that it does not declare.
/// Whether a problem unknown_keys gave is of a section no program reads
/// (a warning everywhere), rather than of a key of the tool's table.
bool names_unknown_section(std::string_view problem);

std::vector<std::string> unknown_keys(const Config& config);

/// Returns the unknown keys of a domain file (domains/DOMAIN.toml) in
/// the tables of config.keys.tool, at domain and user level.
std::vector<std::string> unknown_domain_keys(const Config& config,
                                             const toml::table& root,
                                             std::string_view file);

/// What a setting must hold.
enum class Kind { text, text_list, number, count };

/// The values a number or count may take; an open end is not itself
/// allowed. A count is never below 0 whatever min says.
struct Range {
    double min = -std::numeric_limits<double>::infinity();
    double max = std::numeric_limits<double>::infinity();
    bool min_open = false;
    bool max_open = false;
};

/// A setting, as a dotted path below a tool's table, its kind and the
/// range a number or count must lie in.
struct KeyKind {
    const char* key;
    Kind kind;
    Range range = {};
};

/// Returns whether node holds a value of kind (a list: strings only).
bool has_kind(const toml::node& node, Kind kind);

/// Returns how an error names kind: "a list of strings", and so on.
const char* kind_text(Kind kind);

/// Returns how an error names what a setting must be, its range
/// included: "a number, at least 0 and below 0.5".
std::string kind_text(const KeyKind& want);

/// Returns "file:line" of a node, from the file it was parsed from.
std::string source_where(const toml::node& node);

/// Returns the line and "file:line: KEY must be KIND" of each key of
/// table that holds the wrong kind of value, or a number out of its
/// range, in the order of kinds. A wrong type would otherwise read as
/// absent and say nothing, and a value out of range would be used.
std::vector<std::pair<size_t, std::string>>
kind_problems(const toml::table& table, std::span<const KeyKind> kinds);

} // namespace portcullis::config
