// The anomaly table. A new id raised anywhere in lib/mail belongs here
// (a unit test reads the sources to make sure), and the default policy
// must hold every id that is not a notice (another test checks that).
#include "mail/anomalies.hpp"

#include <algorithm>
#include <array>

namespace portcullis::mime {

namespace {

using enum AnomalyKind;

constexpr std::array anomalies = {
    // Structure. GMime reads past these and so do mail readers.
    AnomalyInfo{"MIME_MISSING_CLOSE_BOUNDARY", notice},
    AnomalyInfo{"MIME_MISSING_BOUNDARY", notice},
    AnomalyInfo{"MIME_BOUNDARY_PREFIX_CLASH", notice},
    AnomalyInfo{"MIME_ENCODED_MESSAGE", notice},
    // A repeated header or parameter: readers take the first or the
    // last, and only one of those readings is parsed.
    AnomalyInfo{"DUPLICATE_CONTENT_TYPE", ambiguous},
    AnomalyInfo{"DUPLICATE_CTE", ambiguous},
    AnomalyInfo{"DUPLICATE_CONTENT_DISPOSITION", ambiguous},
    AnomalyInfo{"MIME_DUPLICATE_PARAMETER", ambiguous},
    // A line in a header block that is no header field: some readers
    // skip it, some start the body there.
    AnomalyInfo{"HEADER_LINE_MALFORMED", ambiguous},
    // Limits and damage: what lies beyond them was never read.
    AnomalyInfo{"HEADER_BLOCK_TOO_LARGE", unread},
    AnomalyInfo{"MIME_NESTING_TOO_DEEP", unread},
    AnomalyInfo{"MIME_TOO_MANY_PARTS", unread},
    AnomalyInfo{"MIME_MULTIPART_NO_PARTS", unread},
    AnomalyInfo{"DECODED_SIZE_LIMIT", unread},
    AnomalyInfo{"TNEF_MALFORMED", unread},
    // Decoding. An unknown encoding leaves the bytes as they are, which
    // is what RFC 2045 section 6.4 tells every reader to show.
    AnomalyInfo{"UNKNOWN_CTE", notice},
    // More than a token (`base64;`): both views decode by the token, as
    // Thunderbird and Outlook do, so nothing is hidden, only odd.
    AnomalyInfo{"MALFORMED_CTE", notice},
    AnomalyInfo{"BASE64_GARBAGE", notice},
    // A damaged BinHex block is decoded as far as it goes and judged,
    // which is more than a reader that stops at the damage shows.
    AnomalyInfo{"BINHEX_MALFORMED", notice},
    // Raw bytes and header lines.
    AnomalyInfo{"NUL_BYTES", notice},
    AnomalyInfo{"BARE_CR", notice},
    AnomalyInfo{"BARE_LF", notice},
    AnomalyInfo{"HEADER_LINE_TOO_LONG", notice},
    AnomalyInfo{"MULTIPLE_FROM_HEADERS", notice},
    AnomalyInfo{"ZERO_WIDTH_CHARS", notice},
    // File names: each name is judged whole, so these only describe.
    AnomalyInfo{"BIDI_CONTROL_IN_FILENAME", notice},
    AnomalyInfo{"ZERO_WIDTH_IN_FILENAME", notice},
    AnomalyInfo{"NUL_IN_FILENAME", notice},
    AnomalyInfo{"CONTROL_CHAR_IN_FILENAME", notice},
    AnomalyInfo{"TRAILING_DOT_OR_SPACE", notice},
    AnomalyInfo{"DATA_STREAM_IN_FILENAME", notice},
    AnomalyInfo{"DOUBLE_EXTENSION", notice},
    AnomalyInfo{"CLSID_EXTENSION", notice},
    AnomalyInfo{"ATTACHMENT_NAME_MISMATCH", notice},
};

} // namespace

std::span<const AnomalyInfo> known_anomalies() {
    return anomalies;
}

std::optional<AnomalyKind> anomaly_kind(std::string_view id) {
    auto found =
        std::find_if(anomalies.begin(), anomalies.end(),
                     [&](const AnomalyInfo& info) { return info.id == id; });
    if (found == anomalies.end())
        return std::nullopt;
    return found->kind;
}

} // namespace portcullis::mime
