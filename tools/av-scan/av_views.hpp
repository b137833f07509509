// The two views of a message and what the engine found in them. Each
// distinct decoded content is scanned once however many views hold it,
// and a part that only one view sees is an anomaly even when clean.
#pragma once

#include "av_engine.hpp"
#include "mail/lenient_mime.hpp"
#include "mail/mime.hpp"

#include <optional>
#include <string>
#include <vector>

namespace portcullis::av {

/// Where one view saw a piece of content.
struct Sighting {
    std::string view; ///< "raw", "strict" or "lenient"
    std::string part; ///< part path; empty for the raw message
    std::string filename;
    std::optional<size_t> lenient_index; ///< into Scan::lenient.parts
};

/// One finding: a signature or a limit, and every place it was seen.
struct Finding {
    ScanResult result;
    std::vector<Sighting> seen;
};

/// A part one view has and the other lacks.
struct ViewGap {
    Sighting only; ///< the view that has it
    size_t size_bytes = 0;
};

/// Everything av-scan learnt about one message.
struct Scan {
    mime::lenient::Tree lenient;
    std::optional<mime::Tree> strict; ///< absent when GMime gave up
    std::string strict_error;
    std::vector<Finding> findings;
    std::vector<ViewGap> gaps;
    /// Parts both views found at the same place but decoded differently;
    /// both decodings are scanned.
    std::vector<Sighting> decode_differences;
    bool parse_limit_hit = false; ///< a MIME limit stopped either view

    /// Returns the most severe outcome of all findings.
    Outcome outcome() const;
};

/// Parses the message both ways; nothing is scanned yet.
Scan parse_message(std::string_view message, const Limits& limits);

/// Scans the raw bytes and every part of both views into scan; when the
/// scans take longer than scan_time_ms together, the parts left are not
/// scanned and a scan_limit finding says so.
Status scan_parsed(const Engine& engine, std::string_view message,
                   uint32_t scan_time_ms, Scan& scan);

} // namespace portcullis::av
