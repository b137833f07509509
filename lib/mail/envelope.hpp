// The SMTP envelope of a record, and a guess at it for a plain file that
// came without one: the sender from Return-Path then From, the recipients
// from Delivered-To, then To and Cc. The guess is marked so a verdict can
// say "envelope_guessed": true.
#pragma once

#include "core/limits.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::mail {

/// Returns seconds since the epoch of an RFC 3339 time, as the envelope's
/// "received" field writes it, or nullopt when the text is no such time.
std::optional<int64_t> parse_rfc3339(const std::string& text);

/// Returns when the message arrived as its header says, in RFC 3339
/// UTC: the date of the top Received field (the last hop's, the one
/// nearest the reader), else of the Date field; nullopt when neither
/// holds a date. For archives, whose arrival no hook recorded.
std::optional<std::string> header_arrival_time(std::string_view message);

/// The envelope sender and recipients, and which of them were guessed.
struct Envelope {
    std::string mail_from; ///< empty for the null sender or no guess
    std::vector<std::string> rcpt;
    bool mail_from_guessed = false;
    bool rcpt_guessed = false;

    /// Returns true when either part came from the headers.
    bool guessed() const { return mail_from_guessed || rcpt_guessed; }
};

/// Returns every unfolded value of a header field in the message's
/// top-level header block, in order; names compare case-insensitively.
/// Fields past its first max_header_bytes are not read: the MIME parse
/// reads no further (HEADER_BLOCK_TOO_LARGE), and a header block of
/// hundreds of thousands of addresses would cost memory tens of times
/// its size.
std::vector<std::string>
header_values(std::string_view message, std::string_view name,
              size_t max_header_bytes = Limits{}.header_block_bytes);

/// Returns the record's envelope, guessing from the message headers any
/// part that the stream envelope lacks, from the first max_header_bytes
/// of the header block. Invalid addresses are skipped, never read the
/// way a lenient parser would.
Envelope read_envelope(const nlohmann::ordered_json& envelope,
                       std::string_view message,
                       size_t max_header_bytes = Limits{}.header_block_bytes);

} // namespace portcullis::mail
