// The strict MIME view of a message: GMime's RFC reading, flattened into a
// list of parts with decoded bodies, filenames and anomaly flags. Tools
// that look inside messages (av-scan, spam-score, policy-check) share it.
#pragma once

#include "core/limits.hpp"
#include "core/result.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portcullis::mime {

/// Where a part was found.
enum class Origin {
    mime,     ///< a MIME entity
    uuencode, ///< a uuencoded block inside a text part
    tnef,     ///< a file inside a TNEF (winmail.dat) attachment
    yenc,     ///< a yEnc block inside a text part
    binhex,   ///< a fork of a BinHex 4.0 block in text or a .hqx part
};

/// Returns the origin's name as written in verdicts.
std::string_view to_string(Origin origin);

/// One entity of the MIME tree, or a file found inside one.
struct Part {
    std::string path; ///< position in the tree: "1", "1.2", "1.2.1"
    int depth = 0;
    Origin origin = Origin::mime;
    std::string content_type;  ///< lower case; octet-stream for unknown CTE
    std::string declared_type; ///< as declared, when it differs
    std::string charset;
    std::string transfer_encoding;
    std::string disposition;
    std::string filename;     ///< Content-Disposition filename, decoded
    std::string name;         ///< Content-Type name, decoded
    std::string filename_raw; ///< filename as written, when decoding changed it
    std::string name_raw;     ///< name as written, when decoding changed it
    /// Content-Name and X-Sun-Data-Name values, decoded: names that old
    /// mailers gave a part and Thunderbird still shows when it has no
    /// filename or name.
    std::vector<std::string> legacy_names;
    /// Every other value given for filename or name, decoded: a repeated
    /// parameter, the other of its RFC 2231 and plain readings, or the
    /// parameter of another Content-Type or Content-Disposition header.
    /// Readers differ on which one they save the part under.
    std::vector<std::string> other_names;
    std::string boundary; ///< a multipart's boundary, as GMime reads it
    std::string content_id;
    std::string subject; ///< an attached message's Subject, unfolded
    bool is_multipart = false;
    bool is_message = false;
    bool is_attachment = false;
    /// text/plain; format=flowed; delsp=yes (RFC 3676): a line ending in
    /// a space flows into the next, the space deleted.
    bool flowed_delsp = false;
    std::string decoded; ///< decoded body bytes, leaves only
    std::vector<std::string> anomalies;

    /// Returns the filename, else the name, else the first legacy name.
    const std::string& display_name() const {
        if (!filename.empty() || (name.empty() && legacy_names.empty()))
            return filename;
        return name.empty() ? legacy_names.front() : name;
    }
};

/// A finding about the message as a whole, or about one part.
struct Anomaly {
    std::string id;
    std::string part; ///< part path, empty for the whole message
    std::string detail;
};

/// One header field as it appeared: name and raw value, unfolded and
/// trimmed.
struct Header {
    std::string name;
    std::string value;
    /// The value as written after the colon: the blanks after it, and
    /// each fold as a line end and the blanks that follow; line ends are
    /// LF, and the one ending the field is left off.
    std::string raw;
};

/// The parsed message.
struct Tree {
    std::vector<Header> headers; ///< top-level headers, in order
    std::vector<Part> parts;     ///< every entity, depth first
    std::vector<Anomaly> anomalies;
    std::string subject;    ///< decoded Subject, zero-width characters removed
    bool limit_hit = false; ///< depth, part count or size limit reached

    /// Returns the first value of a top-level header, or empty.
    std::string header(std::string_view name) const;

    /// Returns every value of a top-level header, in order.
    std::vector<std::string> header_all(std::string_view name) const;

    /// Returns true when an anomaly with this id was found.
    bool has_anomaly(std::string_view id) const;
};

/// Parses a message strictly, as RFC 2045-2049 say, with GMime, then
/// adds what GMime does not report: anomalies, and the uuencoded, yEnc,
/// BinHex and TNEF files inside parts.
Result<Tree> parse(std::string_view message, const Limits& limits);

/// Whether text starts with an mbox From_ line: "From " and then not a
/// colon, since "From : x" (blanks before the colon, RFC 5322's obsolete
/// syntax) is the From field and must never be skipped as that line.
bool starts_with_from_line(std::string_view text);

/// Returns the message without a leading mbox From_ line.
std::string_view skip_from_line(std::string_view message);

/// Returns where a message saved to a file starts: after a UTF-8 byte
/// order mark and an mbox From_ line, which Thunderbird and mbox exports
/// put before the headers and readers skip, as the tools do for a file.
std::string_view saved_message_start(std::string_view data);

/// Whether a media type, any case, holds a whole message with headers of
/// its own: message/rfc822, its alias message/rfc2822, message/global
/// (RFC 6532) and message/news.
bool is_message_type(std::string_view type);

} // namespace portcullis::mime
