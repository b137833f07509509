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

/// Returns UTF-8 text for an unstructured header field (RFC 2047): as it
/// is when it is printable ASCII that cannot be taken for an
/// encoded-word, else as B-encoded words of whole characters, folded
/// with CRLF and a space so that no line passes 76 characters; column
/// is how much of the first line is already taken ("Subject: " is 9).
std::string encode_words(std::string_view text, size_t column = 0);

} // namespace portcullis::mime
