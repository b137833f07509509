// The lenient MIME view: a message read the way Outlook reads broken MIME,
// so a scanner sees what the recipient will be shown, not only what the
// RFCs allow. Every part keeps its byte range in the raw message, which
// lets a filter replace one part and keep the others byte for byte.
#pragma once

#include "core/limits.hpp"
#include "mail/mime.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::mime::lenient {

/// One entity of the lenient reading, or a file found inside one.
struct Part {
    std::string path; ///< "1", "1.2"; "1.2.u1" for a uuencoded file, and
                      ///< .y, .b, .t for yEnc, BinHex and TNEF ones
    int depth = 0;
    Origin origin = Origin::mime;
    std::string content_type; ///< lower case; text/plain when absent
    std::string filename;     ///< filename, else name, else embedded name
    std::string transfer_encoding;
    bool is_multipart = false;
    bool is_message = false;
    /// True when the part came from a second boundary declared on its
    /// multipart, a reading Outlook would not show but another MUA might.
    bool alternate_reading = false;
    /// True when the offsets below index the raw message; false inside
    /// an encoded container, where only the container can be replaced.
    bool in_raw = false;
    size_t header_begin = 0; ///< first byte of the part's own headers
    size_t body_begin = 0;
    size_t body_end = 0;
    std::string decoded; ///< decoded body bytes, leaves only
    std::vector<std::string> anomalies;

    /// Returns true for a part with content rather than children.
    bool is_leaf() const { return !is_multipart && !is_message; }
};

/// The lenient reading of one message.
struct Tree {
    std::vector<Part> parts; ///< every entity, depth first
    std::vector<Anomaly> anomalies;
    bool limit_hit = false; ///< depth, part count or size limit reached

    /// Returns true when an anomaly with this id was found.
    bool has_anomaly(std::string_view id) const;
};

/// Parses a message as Outlook would: first declared boundary wins, a
/// missing closing boundary ends the multipart at the end of input, name
/// stands in for filename, uuencoded, yEnc and BinHex blocks in text and
/// TNEF contents become parts, and base64 skips what is not base64.
Tree parse(std::string_view message, const Limits& limits);

/// Decodes base64 leniently: bytes outside the alphabet are skipped and
/// decoding stops at padding. Sets garbage when anything was skipped
/// other than white space. Keeps at most max_out bytes and one more, so
/// that a caller sees its limit passed.
std::string decode_base64(std::string_view text, bool& garbage,
                          size_t max_out = SIZE_MAX);

} // namespace portcullis::mime::lenient
