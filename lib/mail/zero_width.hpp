// Invisible characters in text a reader sees: zero-width spaces, joiners
// and bidi controls split words so that subject and body rules stop
// matching while the text looks the same on screen.
#pragma once

#include <string>
#include <string_view>

namespace portcullis::mime {

/// Returns true when UTF-8 text holds a character of mail::is_invisible()
/// (a byte order mark at the very start does not count).
bool has_zero_width(std::string_view text);

/// Returns true when HTML holds one of those characters as a character
/// reference, numeric or named.
bool has_zero_width_entity(std::string_view html);

/// Returns text with those characters removed.
std::string strip_zero_width(std::string_view text);

} // namespace portcullis::mime
