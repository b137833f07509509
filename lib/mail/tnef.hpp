// TNEF (winmail.dat, application/ms-tnef): Outlook packs attachments into
// one opaque part, so filename and type policies never see the files
// inside unless the gateway unpacks them. Written from the published
// format description; every length read from the data is checked.
#pragma once

#include "core/result.hpp"
#include "mail/embedded_file.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::mime {

/// What unpacking a TNEF stream found, and what stopped it early.
struct TnefContents {
    std::vector<EmbeddedFile> files;
    std::vector<std::string> problems; ///< empty when read to the end
};

/// Returns true when data starts with the TNEF signature.
bool is_tnef(std::string_view data);

/// Unpacks the attached files of a TNEF stream, at most max_files files
/// and max_bytes bytes of file data; an error only for no TNEF at all.
Result<TnefContents> unpack_tnef(std::string_view data, size_t max_files,
                                 size_t max_bytes);

/// Returns the attached files; a stream damaged after its signature
/// yields the files read before the damage.
Result<std::vector<EmbeddedFile>>
decode_tnef(std::string_view data, size_t max_files, size_t max_bytes);

} // namespace portcullis::mime
