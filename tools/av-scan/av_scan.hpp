// av-scan's logic: scan the raw message and both MIME views of it with
// one warm libclamav engine, then delete, clean or quarantine as the
// administrator chose for each kind of finding.
#pragma once

#include "av_engine.hpp"
#include "core/config.hpp"
#include "core/filter.hpp"

#include <string>

namespace portcullis::av {

/// What happens to a message with a finding of one kind.
enum class Policy {
    pass,       ///< deliver, with the finding in the verdict
    clean,      ///< replace the affected parts with a notice, deliver
    quarantine, ///< hold the whole message for review and release
    remove,     ///< the message goes no further ("delete")
};

/// Parses a policy name: delete, clean, quarantine or pass.
std::optional<Policy> parse_policy(std::string_view name);

/// Returns the policy's name as configured.
std::string_view to_string(Policy policy);

/// Options beyond the common ones.
struct Options {
    filter::CommonOptions common;
    std::string db_dir = "/var/lib/clamav";
    Policy on_infected = Policy::quarantine;
    Policy on_scan_limit = Policy::quarantine;
    Policy on_encrypted = Policy::quarantine;
    EngineSettings engine;
};

/// Applies the [av-scan] table; flags given on the command line win.
Status apply_config(const config::Config& config, const CLI::App& app,
                    Options& options);

/// Runs av-scan over all inputs; returns the exit status.
ExitCode run(const Options& options);

} // namespace portcullis::av
