// Word lists: admin-edited files of words and phrases, matched as whole
// words, case-insensitively, over text already decoded and reduced from
// markup, so line breaks, encodings and tags cannot split a word.
#pragma once

#include "core/result.hpp"

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace portcullis::policy {

/// Text cut into case-folded words; everything but letters and digits
/// separates them.
struct Words {
    std::vector<std::string> words;
};

/// Returns the words of UTF-8 text, case-folded.
Words split_words(std::string_view utf8);

/// What a list found: how many hits, and the first few entries hit.
struct WordHits {
    size_t count = 0;
    std::vector<std::string> examples;
};

/// One word list: an entry per line, "#" starts a comment.
class WordList {
public:
    /// Loads a list; errors name the file.
    static Result<WordList> load(const std::string& path);

    /// Builds a list from entries, for tests and inline lists.
    static WordList from_entries(const std::vector<std::string>& entries);

    /// Counts the entries found in the words, longest phrase first.
    WordHits find(const Words& text) const;

    /// Returns how many entries the list holds.
    size_t size() const { return size_; }

private:
    void add(std::string_view entry);

    // Phrases by their first word, so each text word costs one lookup.
    std::unordered_map<std::string, std::vector<std::vector<std::string>>>
        by_first_;
    size_t size_ = 0;
};

} // namespace portcullis::policy
