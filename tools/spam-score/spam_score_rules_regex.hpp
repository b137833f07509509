// Perl regular expressions as SpamAssassin's rules write them, turned
// into RE2 syntax that means the same on the same bytes. What has no
// equivalent is refused with a reason, never rewritten into something
// else; RE2 itself refuses what it cannot run (look-around, back-
// references) when the rule is compiled.
#pragma once

#include "core/result.hpp"

#include <re2/re2.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace portcullis::spam_score {

/// How a pattern's anchors read the text it is matched against.
enum class Anchors {
    text,      ///< one text, as RE2 reads it
    paragraph, ///< one body paragraph ending in "\n", as Perl reads it
};

/// A regex read from a rule line.
struct PerlRegex {
    std::string pattern; ///< RE2 syntax, flags inline
    std::string rest;    ///< what follows the regex on the line
};

/// Reads /re/flags or m{re}flags at the start of text and translates it.
Result<PerlRegex> read_regex(std::string_view text, Anchors anchors);

/// Translates the inside of a Perl regex; fold says whether the i flag
/// is on where it starts.
Result<std::string> translate_regex(std::string_view re, bool fold,
                                    Anchors anchors);

/// Returns the options every rule pattern compiles with: Latin-1, so a
/// pattern reads bytes, as Perl reads SpamAssassin's texts.
RE2::Options rule_options(size_t max_mem_bytes);

} // namespace portcullis::spam_score
