// The directory of a ZIP archive read as unzip reads it: the end record
// is found by scanning back from the end, and bytes put before the
// archive (a self-extractor stub, a polyglot) are allowed for by moving
// every offset. Each member keeps every name an extractor may use, since
// readers disagree on which one counts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::attachment {

/// One file of a ZIP archive, as its directory and file header give it.
struct ZipMember {
    /// The central directory name first, then each other name that
    /// differs from it: the local header's, and the Info-ZIP Unicode
    /// Path (0x7075) of either header.
    std::vector<std::string> names;
    bool names_differ = false; ///< the names disagree beyond their encoding
    bool listed = true;        ///< false for a file header the directory omits
    uint16_t flags = 0;
    uint16_t method = 0;
    uint32_t crc = 0;
    uint64_t compressed_size = 0;
    uint64_t size = 0;        ///< as the directory declares it
    size_t header_offset = 0; ///< where its local file header starts
    size_t data_offset = 0;   ///< where its compressed bytes start

    /// Returns true when the member needs a password to read.
    bool encrypted() const { return (flags & 0x0001) != 0; }
};

/// The members of a ZIP archive and how reading its directory ended.
struct ZipDirectory {
    std::vector<ZipMember> members;
    size_t prefix_bytes = 0; ///< bytes before the archive proper
    bool more = false;       ///< stopped at max_members with more to read
    std::string error;       ///< why the directory was not read in full
};

/// Returns true when content ends with a ZIP archive's directory: an end
/// record in the last 65,557 bytes, where unzip looks for one, that leads
/// to a central directory.
bool has_zip_directory(std::string_view content);

/// Reads the directory of the ZIP archive at the end of content, at
/// most max_members members; a member whose file header cannot be found
/// ends the reading with an error, keeping the members before it.
ZipDirectory read_zip_directory(std::string_view content, size_t max_members);

} // namespace portcullis::attachment
