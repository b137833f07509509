// mime-split's logic: the MIME tree of a message as a verdict, and safe
// extraction of its attachments.
#pragma once

#include "core/filter.hpp"
#include "mail/mime.hpp"
#include "mime_split_extract.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace portcullis::mime_split {

/// The keys mime-split reads from [mime-split]: none yet, so any key
/// there is a typo or belongs to another tool.
inline const config::Keys config_keys{"mime-split", {}};

/// Options beyond the common ones.
struct Options {
    filter::CommonOptions common;
    std::string extract_dir; ///< empty: extract nothing
};

/// Returns the verdict fields for one parsed message.
nlohmann::ordered_json describe(const mime::Tree& tree);

/// Handles one record: parse, describe, and extract into dir when given.
Result<filter::Outcome> handle(const Options& options, stream::Record& record,
                               ExtractDir* dir = nullptr);

/// Runs mime-split over all inputs; returns the exit status.
ExitCode run(const Options& options);

} // namespace portcullis::mime_split
