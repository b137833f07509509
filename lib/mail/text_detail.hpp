// What text.cpp and text_lookalike.cpp share and no one else needs:
// reading UTF-8 a code point at a time, and folding look-alike letters
// a slice of text at a time.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace portcullis::text::detail {

/// Decodes one code point at pos and moves pos past it; an invalid byte
/// yields U+FFFD and moves one byte, so a caller can never loop.
char32_t next_code_point(std::string_view s, size_t& pos);

/// Returns true when every byte is below 0x80.
bool is_ascii(std::string_view s);

/// Returns true when text holds Chinese, Japanese or Korean script, which
/// writes Latin letters in full-width forms as a matter of course.
bool has_east_asian(std::string_view utf8);

/// What fold_words() found: words that disguise Latin letters, and words
/// in full-width letters alone, a disguise only in text with no Chinese,
/// Japanese or Korean in it.
struct FoldCounts {
    size_t disguised = 0;
    size_t wide = 0;
};

/// Folds as fold_lookalikes() does, counting each kind of word apart, so
/// that text read a slice at a time is judged by all of it.
FoldCounts fold_words(std::string& utf8);

} // namespace portcullis::text::detail
