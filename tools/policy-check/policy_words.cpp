// Word splitting with GLib's Unicode tables, so "Vertraulich" and
// "VERTRAULICH" fold alike and a non-ASCII letter never splits a word.
#include "policy_words.hpp"

#include <glib.h>

#include <algorithm>
#include <fmt/format.h>
#include <fstream>

namespace portcullis::policy {

namespace {

bool ascii_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// Appends one non-ASCII character, case-folded, when it belongs in a
// word; returns where the next character starts.
const char* fold_other(const char* p, const char* end, std::string& word,
                       bool& in_word) {
    gunichar c = g_utf8_get_char_validated(p, end - p);
    if (c == static_cast<gunichar>(-1) || c == static_cast<gunichar>(-2)) {
        in_word = false; // invalid UTF-8 separates words, as a symbol would
        return p + 1;
    }
    const char* next = g_utf8_next_char(p);
    in_word = g_unichar_isalnum(c) || g_unichar_ismark(c);
    if (in_word) {
        gchar* folded = g_utf8_casefold(p, next - p);
        word += folded;
        g_free(folded);
    }
    return next;
}

} // namespace

// Most mail is ASCII: those bytes are folded inline, and GLib is asked
// only about the others.
Words split_words(std::string_view utf8) {
    Words out;
    std::string word;
    const char* p = utf8.data();
    const char* end = p + utf8.size();
    while (p < end) {
        bool in_word;
        unsigned char c = static_cast<unsigned char>(*p);
        if (c < 0x80) {
            char lower = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
            in_word = ascii_word_char(lower);
            if (in_word)
                word += lower;
            ++p;
        } else {
            p = fold_other(p, end, word, in_word);
        }
        if (!in_word && !word.empty()) {
            out.words.push_back(std::move(word));
            word.clear();
        }
    }
    if (!word.empty())
        out.words.push_back(std::move(word));
    return out;
}

void WordList::add(std::string_view entry) {
    Words words = split_words(entry);
    if (words.words.empty())
        return;
    std::string first = words.words.front();
    auto& phrases = by_first_[first];
    phrases.push_back(std::move(words.words));
    std::sort(phrases.begin(), phrases.end(),
              [](const auto& a, const auto& b) { return a.size() > b.size(); });
    ++size_;
}

Result<WordList> WordList::load(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        return Error{path, "cannot open word list", ExitCode::config};
    WordList list;
    std::string line;
    while (std::getline(in, line)) {
        size_t hash = line.find('#');
        if (hash != std::string::npos)
            line.erase(hash);
        list.add(line);
    }
    return list;
}

WordList WordList::from_entries(const std::vector<std::string>& entries) {
    WordList list;
    for (const std::string& entry : entries)
        list.add(entry);
    return list;
}

WordHits WordList::find(const Words& text) const {
    WordHits hits;
    const auto& words = text.words;
    for (size_t i = 0; i < words.size();) {
        auto found = by_first_.find(words[i]);
        size_t matched = 0;
        if (found != by_first_.end()) {
            for (const auto& phrase : found->second) {
                if (i + phrase.size() <= words.size() &&
                    std::equal(phrase.begin(), phrase.end(),
                               words.begin() + i)) {
                    matched = phrase.size();
                    break;
                }
            }
        }
        if (!matched) {
            ++i;
            continue;
        }
        ++hits.count;
        std::string shown =
            fmt::format("{}", fmt::join(words.begin() + i,
                                        words.begin() + i + matched, " "));
        if (hits.examples.size() < 3 &&
            std::find(hits.examples.begin(), hits.examples.end(), shown) ==
                hits.examples.end())
            hits.examples.push_back(std::move(shown));
        i += matched;
    }
    return hits;
}

} // namespace portcullis::policy
