// Word splitting with GLib's Unicode tables, so "Vertraulich" and
// "VERTRAULICH" fold alike and a non-ASCII letter never splits a word.
#include "policy_words.hpp"

#include <glib.h>

#include <algorithm>
#include <fmt/format.h>
#include <fstream>

namespace portcullis::policy {

Words split_words(std::string_view utf8) {
    Words out;
    gchar* folded =
        g_utf8_casefold(utf8.data(), static_cast<gssize>(utf8.size()));
    std::string word;
    for (const gchar* p = folded; *p;) {
        gunichar c = g_utf8_get_char_validated(p, -1);
        if (c == static_cast<gunichar>(-1) || c == static_cast<gunichar>(-2)) {
            ++p; // invalid UTF-8 separates words, as any symbol would
            c = ' ';
        } else {
            const gchar* next = g_utf8_next_char(p);
            if (g_unichar_isalnum(c) || g_unichar_ismark(c)) {
                word.append(p, next);
                p = next;
                continue;
            }
            p = next;
        }
        if (!word.empty())
            out.words.push_back(std::move(word));
        word.clear();
    }
    if (!word.empty())
        out.words.push_back(std::move(word));
    g_free(folded);
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
