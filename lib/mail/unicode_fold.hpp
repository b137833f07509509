// Case in every script: text composed and case-folded the way Unicode
// says, and words told apart by whether they are written in capitals.
// ASCII is left to the callers' byte-wise folding, which is faster and
// gives the same result.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::mime {

/// Returns the text composed (NFC) and case-folded when it is UTF-8
/// beyond ASCII; nullopt for ASCII, which byte-wise folding already
/// folds, and for bytes that are not UTF-8 or hold a NUL.
std::optional<std::string> unicode_folded(std::string_view text);

/// Returns true when word, in UTF-8, has at least min_chars characters,
/// a capital letter and no small letter, in any script ("FREE",
/// "ÉNORME", "СКИДКА", "R2D2"). Bytes that are not UTF-8 are read as
/// ASCII alone.
bool written_in_capitals(std::string_view word, size_t min_chars);

} // namespace portcullis::mime
