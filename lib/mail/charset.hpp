// Text in a declared charset turned into UTF-8, for names and subjects
// that policies compare. Conversion never fails: bytes the charset cannot
// explain become U+FFFD, and an unknown charset leaves the bytes alone.
#pragma once

#include <string>
#include <string_view>

namespace portcullis::mime {

/// Converts bytes in charset to UTF-8; ASCII and UTF-8 pass unchanged.
std::string to_utf8(std::string_view bytes, std::string_view charset);

/// Decodes RFC 2047 encoded-words (=?charset?B|Q?text?=) in text, as
/// MUAs do; white space between adjacent encoded-words is dropped.
std::string decode_encoded_words(std::string_view text);

/// Returns true when text holds what looks like an encoded-word.
bool has_encoded_word(std::string_view text);

} // namespace portcullis::mime
