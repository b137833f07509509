// Quoted-printable (RFC 2045 section 6.7), decoded as mail readers
// decode it: a malformed escape stays as it is, and a soft line break is
// '=' with any blanks a transport added after it before the line end.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace portcullis::mime {

/// Decodes quoted-printable text; never fails. Stops once more than
/// max_out bytes are decoded, so that a caller with a size limit sees it
/// passed without holding the rest.
std::string decode_quoted_printable(std::string_view text,
                                    size_t max_out = SIZE_MAX);

} // namespace portcullis::mime
