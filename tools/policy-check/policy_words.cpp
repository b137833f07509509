// Word splitting with GLib's Unicode tables, so "Vertraulich" and
// "VERTRAULICH" fold alike, a non-ASCII letter never splits a word, and
// look-alike forms of a letter read as the letter.
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

// Chinese, Japanese and Korean put no spaces between words: each of
// their letters is a word of its own, so a listed word of three of them
// is found as a phrase of three in running text.
bool is_east_asian(gunichar c) {
    return (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7AF) ||
           (c >= 0xF900 && c <= 0xFAFF);
}

// Letters in a circle or a square (U+24B6-U+24E9, U+1F130-U+1F149) are
// symbols to Unicode, but NFKC reads them as the letters, and so does a
// person: "con\u24D5idential" is one word.
bool is_enclosed_letter(gunichar c) {
    return (c >= 0x24B6 && c <= 0x24E9) || (c >= 0x1F130 && c <= 0x1F149);
}

// Parenthesized small letters (U+249C-U+24B5) are symbols too, and NFKC
// would read "con\u24A1idential" as "con(f)idential": read as the letter.
bool is_parenthesized_letter(gunichar c) {
    return c >= 0x249C && c <= 0x24B5;
}

// The Hangul vowels and final consonants, which GLib composes with the
// syllable or consonant before them.
bool is_hangul_joiner(gunichar c) {
    return (c >= 0x1161 && c <= 0x1175) || (c >= 0x11A8 && c <= 0x11C2);
}

// Whether text cut just before c normalises, piece by piece, to what it
// normalises to whole: c, and the first letter of its decomposition,
// start a new character (combining class 0) that composes with nothing
// before it. Only marks and the Hangul joiners compose backwards.
bool is_piece_boundary(gunichar c) {
    gunichar decomposed[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
    gunichar first = c;
    if (g_unichar_fully_decompose(c, TRUE, decomposed,
                                  G_UNICHAR_MAX_DECOMPOSITION_LENGTH) > 0)
        first = decomposed[0];
    for (gunichar u : {c, first})
        if (g_unichar_combining_class(u) != 0 || g_unichar_ismark(u) ||
            is_hangul_joiner(u))
            return false;
    return true;
}

// GLib's normalisation moves the rest of its buffer for every character
// it composes, so its time grows with the square of what it is given at
// once: a megabyte of "é", or of stray bytes read as "Ã", outlasted the
// parse timeout. A run is normalised in pieces of about piece_bytes,
// each cut before a boundary, which gives the text normalising it whole
// gives.
// XXX: a run with no boundary in max_piece_bytes, a letter under a
// kilobyte of combining marks, is cut there anyway; its marks are
// dropped either way, but the letter may compose with other ones.
constexpr size_t piece_bytes = 64;
constexpr size_t max_piece_bytes = 1024;

// Returns where the first piece of a run of valid UTF-8 ends.
size_t piece_end(std::string_view run) {
    if (run.size() <= piece_bytes)
        return run.size();
    const char* begin = run.data();
    const char* end = begin + run.size();
    const char* p = begin;
    while (p < end && static_cast<size_t>(p - begin) < piece_bytes)
        p = g_utf8_next_char(p);
    while (p < end && static_cast<size_t>(p - begin) < max_piece_bytes) {
        if (is_piece_boundary(g_utf8_get_char(p)))
            return static_cast<size_t>(p - begin);
        p = g_utf8_next_char(p);
    }
    return static_cast<size_t>(p - begin);
}

// Adds the words of one piece of a run; word holds the letters of the
// word that may go on into the next piece. NFKC reads full-width,
// ligature and mathematical letters as the plain ones, and composes a
// letter written with a separate accent, so "café" is one word however
// it was typed; marks left over after that ("c̲onfidential") decorate
// nothing a reader reads, and are dropped. Accents themselves stay:
// "año" is not "ano".
void add_piece_words(std::string_view piece, std::string& word, Words& out) {
    gchar* nfkc = g_utf8_normalize(
        piece.data(), static_cast<gssize>(piece.size()), G_NORMALIZE_NFKC);
    if (!nfkc)
        return;
    gchar* folded = g_utf8_casefold(nfkc, -1);
    g_free(nfkc);
    auto finish = [&] {
        if (!word.empty())
            out.words.push_back(std::move(word));
        word.clear();
    };
    for (const gchar* p = folded; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_ismark(c))
            continue;
        if (!g_unichar_isalnum(c)) {
            finish();
            continue;
        }
        if (is_east_asian(c)) {
            finish();
            out.words.emplace_back(p, g_utf8_next_char(p) - p);
            continue;
        }
        word.append(p, g_utf8_next_char(p) - p);
    }
    g_free(folded);
}

// Adds the words of one run of letters that is not all ASCII.
void add_unicode_words(std::string_view run, Words& out) {
    std::string word;
    while (!run.empty()) {
        size_t end = piece_end(run);
        add_piece_words(run.substr(0, end), word, out);
        run.remove_prefix(end);
    }
    if (!word.empty())
        out.words.push_back(std::move(word));
}

} // namespace

// Most mail is ASCII: those bytes are folded inline, and GLib is asked
// only about runs of letters that are not.
Words split_words(std::string_view utf8) {
    Words out;
    std::string word;
    bool ascii = true;
    auto finish = [&] {
        if (word.empty())
            return;
        if (ascii)
            out.words.push_back(std::move(word));
        else
            add_unicode_words(word, out);
        word.clear();
        ascii = true;
    };
    const char* p = utf8.data();
    const char* end = p + utf8.size();
    while (p < end) {
        unsigned char c = static_cast<unsigned char>(*p);
        if (c < 0x80) {
            char lower = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
            if (ascii_word_char(lower))
                word += lower;
            else
                finish();
            ++p;
            continue;
        }
        gunichar u = g_utf8_get_char_validated(p, end - p);
        if (u == static_cast<gunichar>(-1) || u == static_cast<gunichar>(-2)) {
            finish(); // invalid UTF-8 separates words, as a symbol would
            ++p;
            continue;
        }
        const char* next = g_utf8_next_char(p);
        if (is_parenthesized_letter(u)) {
            word += static_cast<char>('a' + (u - 0x249C));
            p = next;
            continue;
        }
        if (g_unichar_isalnum(u) || g_unichar_ismark(u) ||
            is_enclosed_letter(u)) {
            word.append(p, next);
            ascii = false;
        } else {
            finish();
        }
        p = next;
    }
    finish();
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
