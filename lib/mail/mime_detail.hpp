// What the files of the MIME parse share and nobody else needs: anomaly
// bookkeeping, the inspection of decoded parts, and the raw byte scan
// that finds what GMime smooths over.
#pragma once

#include "mail/mime.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace portcullis::mime::detail {

/// Records an anomaly on a part (once per part) and on the message.
void add_anomaly(Tree& tree, Part* part, std::string id,
                 std::string detail = {});

/// Returns true for the transfer encodings an attached message must be
/// decoded from before it is read (base64, quoted-printable, uuencode),
/// named as GMime names them; its raw bytes are then no header block.
bool is_encoded(std::string_view transfer_encoding);

/// A multipart found by the walk: its boundary and part path.
struct Multipart {
    std::string boundary;
    std::string path;
};

/// Where scanned bytes sit in the tree: the path that findings in their
/// header block go to ("" for the message's own), and their root part's.
struct ScanRoot {
    std::string header_path;
    std::string root_path;
};

/// Scans the raw bytes once for line-end, NUL, header-size and boundary
/// anomalies, attributing each to the part whose bytes hold it. message
/// is what GMime read: original with its bare CRs made LFs, or original
/// itself.
void scan_raw(std::string_view message, std::string_view original,
              const std::vector<Multipart>& multiparts, const Limits& limits,
              Tree& tree, const ScanRoot& root);

/// What bound_header_blocks() left out of GMime's reading.
struct Bounding {
    size_t cut_blocks = 0;  ///< header blocks cut at the field limits
    bool cut_parts = false; ///< parts after limits.mime_parts + 1 left out
    /// Where each field added to tell GMime an encoding starts in the
    /// bytes returned, in order; no field of the message.
    std::vector<size_t> added_fields;
};

/// Returns the bytes for GMime to parse: message itself, or, when a
/// header block (the message's, a part's or an embedded message's) is
/// over limits.header_block_bytes or limits.header_fields or a quoted
/// boundary ends in blanks, a copy in bounded with each such block cut at
/// its last whole field within both and the blanks dropped. After more
/// than limits.mime_parts + 1 part delimiters the rest is left out too.
/// A block of an attached message whose encoding GMime would misread
/// gets a field first that tells GMime the views' reading.
std::string_view bound_header_blocks(std::string_view message,
                                     const Limits& limits, std::string& bounded,
                                     Bounding& bounding);

/// Returns true for text/* parts, the ones a reader sees as text.
bool is_text_body(const Part& part);

/// Flags file name tricks in a part's filename, name and legacy names,
/// and the filename and name disagreeing.
void check_filenames(Tree& tree, Part& part);

/// Flags zero-width characters in a text part's decoded body.
void check_zero_width(Tree& tree, Part& part);

/// Returns the files hidden in a decoded leaf (uuencoded, yEnc or BinHex
/// in text, packed in TNEF) as its child parts, at most max_files of
/// them; those whose size the container gives (TNEF, BinHex) take at most
/// max_bytes in all. Their names are not yet checked, as the caller may
/// drop some at the part limit.
std::vector<Part> embedded_parts(Tree& tree, Part& leaf, size_t max_files,
                                 size_t max_bytes, const Limits& limits);

/// Flags boundaries that are a prefix of (or equal to) another boundary.
void check_boundary_prefixes(const std::vector<Multipart>& multiparts,
                             Tree& tree);

} // namespace portcullis::mime::detail
