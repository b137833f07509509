// Quoted-printable (RFC 2045 section 6.7), decoded as mail readers
// decode it: a malformed escape stays as it is, and a soft line break is
// '=' with any blanks a transport added after it before the line end.
#pragma once

#include <string>
#include <string_view>

namespace portcullis::mime {

/// Decodes quoted-printable text; never fails.
std::string decode_quoted_printable(std::string_view text);

} // namespace portcullis::mime
