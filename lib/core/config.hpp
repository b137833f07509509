// The TOML configuration: /etc/portcullis/portcullis.toml by default, a
// table per tool, [limits] shared. Errors name file:line.
#pragma once

#include "core/limits.hpp"
#include "core/result.hpp"

#include <toml++/toml.h>

#include <string>

namespace portcullis::config {

/// The configuration file used when --config is not given.
inline constexpr const char* default_path = "/etc/portcullis/portcullis.toml";

/// A parsed configuration file and where it came from.
struct Config {
    std::string path; ///< empty when no file was read
    toml::table root;

    /// Returns the table for one tool, empty when absent.
    const toml::table& tool(std::string_view name) const;
};

/// Loads a configuration file. A missing default file is an empty
/// configuration; a missing file named on purpose is an error.
Result<Config> load(const std::string& path, bool named_on_purpose);

/// Applies [limits] from the configuration over the defaults.
Status apply_limits(const Config& config, Limits& limits);

/// Returns "file:line: message" for a node, as errors about values say.
std::string where(const Config& config, const toml::node& node);

} // namespace portcullis::config
