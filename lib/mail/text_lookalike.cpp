// Look-alike letters: Cyrillic, Greek, Armenian, Cherokee, Coptic and
// Lisu letters, small capitals and full-width forms read as the Latin
// letters they imitate, in words that mix them with Latin ones, and in
// link hosts, so that rules and word lists read what a person reads.
#include "core/strings.hpp"
#include "mail/text.hpp"
#include "mail/text_detail.hpp"
#include "mail/unicode_marks.hpp"

#include <cctype>
#include <unordered_map>

namespace portcullis::text {

using detail::fold_words;
using detail::FoldCounts;
using detail::has_east_asian;
using detail::is_ascii;
using detail::next_code_point;

namespace {

const std::unordered_map<char32_t, char>& lookalike_table() {
    static const std::unordered_map<char32_t, char> table = {
        // Cyrillic
        {0x0430, 'a'},
        {0x0435, 'e'},
        {0x043E, 'o'},
        {0x0440, 'p'},
        {0x0441, 'c'},
        {0x0443, 'y'},
        {0x0445, 'x'},
        {0x0455, 's'},
        {0x0456, 'i'},
        {0x0458, 'j'},
        {0x0501, 'd'},
        {0x04BB, 'h'},
        {0x051B, 'q'},
        {0x051D, 'w'},
        {0x04CF, 'l'},
        {0x0410, 'A'},
        {0x0412, 'B'},
        {0x0415, 'E'},
        {0x041A, 'K'},
        {0x041C, 'M'},
        {0x041D, 'H'},
        {0x041E, 'O'},
        {0x0420, 'P'},
        {0x0421, 'C'},
        {0x0422, 'T'},
        {0x0425, 'X'},
        {0x0423, 'Y'},
        {0x0405, 'S'},
        {0x0406, 'I'},
        {0x0408, 'J'},
        // Greek
        {0x03B1, 'a'},
        {0x03BF, 'o'},
        {0x03BD, 'v'},
        {0x03C1, 'p'},
        {0x03B9, 'i'},
        {0x03BA, 'k'},
        {0x03C4, 't'},
        {0x03C5, 'u'},
        {0x0391, 'A'},
        {0x0392, 'B'},
        {0x0395, 'E'},
        {0x0396, 'Z'},
        {0x0397, 'H'},
        {0x0399, 'I'},
        {0x039A, 'K'},
        {0x039C, 'M'},
        {0x039D, 'N'},
        {0x039F, 'O'},
        {0x03A1, 'P'},
        {0x03A4, 'T'},
        {0x03A5, 'Y'},
        {0x03A7, 'X'},
        // Armenian
        {0x0561, 'w'},
        {0x0563, 'q'},
        {0x0566, 'q'},
        {0x0570, 'h'},
        {0x0578, 'n'},
        {0x057D, 'u'},
        {0x0585, 'o'},
        {0x054F, 'S'},
        {0x0555, 'O'},
        // Cherokee capitals
        {0x13A0, 'D'},
        {0x13A1, 'R'},
        {0x13A2, 'T'},
        {0x13A9, 'Y'},
        {0x13AA, 'A'},
        {0x13AB, 'J'},
        {0x13AC, 'E'},
        {0x13B3, 'W'},
        {0x13B7, 'M'},
        {0x13BB, 'H'},
        {0x13C0, 'G'},
        {0x13C2, 'h'},
        {0x13C3, 'Z'},
        {0x13CF, 'b'},
        {0x13D4, 'W'},
        {0x13D9, 'V'},
        {0x13DA, 'S'},
        {0x13DE, 'L'},
        {0x13DF, 'C'},
        {0x13E2, 'P'},
        {0x13E6, 'K'},
        {0x13F4, 'B'},
        // Small capitals, which read as lower-case letters
        {0x1D00, 'a'},
        {0x1D04, 'c'},
        {0x1D05, 'd'},
        {0x1D07, 'e'},
        {0x1D0A, 'j'},
        {0x1D0B, 'k'},
        {0x1D0D, 'm'},
        {0x1D0F, 'o'},
        {0x1D18, 'p'},
        {0x1D1B, 't'},
        {0x1D1C, 'u'},
        {0x1D20, 'v'},
        {0x1D21, 'w'},
        {0x1D22, 'z'},
        {0x0262, 'g'},
        {0x026A, 'i'},
        {0x0274, 'n'},
        {0x0280, 'r'},
        {0x028F, 'y'},
        {0x0299, 'b'},
        {0x029C, 'h'},
        {0x029F, 'l'},
        {0xA730, 'f'},
        {0xA731, 's'},
        {0xA7AF, 'q'},
        // Coptic letters drawn as Latin ones
        {0x2C82, 'B'},
        {0x2C8E, 'H'},
        {0x2C92, 'I'},
        {0x2C93, 'i'},
        {0x2C94, 'K'},
        {0x2C98, 'M'},
        {0x2C9A, 'N'},
        {0x2C9E, 'O'},
        {0x2C9F, 'o'},
        {0x2CA2, 'P'},
        {0x2CA3, 'p'},
        {0x2CA4, 'C'},
        {0x2CA5, 'c'},
        {0x2CA6, 'T'},
        {0x2CA8, 'Y'},
        {0x2CAC, 'X'},
        {0x2CAD, 'x'},
        // Lisu, an alphabet made of Latin capitals
        {0xA4D0, 'B'},
        {0xA4D1, 'P'},
        {0xA4D3, 'D'},
        {0xA4D4, 'T'},
        {0xA4D6, 'G'},
        {0xA4D7, 'K'},
        {0xA4D9, 'J'},
        {0xA4DA, 'C'},
        {0xA4DC, 'Z'},
        {0xA4DD, 'F'},
        {0xA4DF, 'M'},
        {0xA4E0, 'N'},
        {0xA4E1, 'L'},
        {0xA4E2, 'S'},
        {0xA4E3, 'R'},
        {0xA4E6, 'V'},
        {0xA4E7, 'H'},
        {0xA4EA, 'W'},
        {0xA4EB, 'X'},
        {0xA4EC, 'Y'},
        {0xA4EE, 'A'},
        {0xA4F0, 'E'},
        {0xA4F2, 'I'},
        {0xA4F3, 'O'},
        {0xA4F4, 'U'},
        // Latin letters that pass for others
        {0x0131, 'i'},
        {0x0251, 'a'},
        {0x0261, 'g'},
        {0x2113, 'l'},
        {0x01C0, 'l'},
        {0x0269, 'i'},
    };
    return table;
}

// Returns the Latin letter a code point imitates, or 0.
char lookalike_of(char32_t cp) {
    if (cp >= 0xFF01 && cp <= 0xFF5E)
        return static_cast<char>(cp - 0xFEE0);
    // Parenthesized small letters, U+249C-U+24B5: NFKC would make
    // "con\u24A1idential" "con(f)idential", two words; a reader sees one.
    if (cp >= 0x249C && cp <= 0x24B5)
        return static_cast<char>('a' + (cp - 0x249C));
    auto& table = lookalike_table();
    auto it = table.find(cp);
    return it == table.end() ? 0 : it->second;
}

bool is_word_break(char32_t cp) {
    return cp < 0x80
               ? !std::isalnum(static_cast<int>(cp)) && cp != '-'
               : cp == 0x00A0 || cp == 0x3000 || (cp >= 0x2000 && cp <= 0x206F);
}

bool is_fullwidth_letter(char32_t cp) {
    return (cp >= 0xFF21 && cp <= 0xFF3A) || (cp >= 0xFF41 && cp <= 0xFF5A);
}

// What folding a word found.
enum class Fold {
    plain,    ///< nothing to fold, or full-width digits and punctuation
    wide,     ///< Latin letters written in full-width forms only
    disguise, ///< Latin letters mixed with look-alikes of them
};

// Folds one word that mixes look-alikes with Latin letters or holds
// full-width forms, so that rules read "ＦＲＥＥ" as "FREE". A word wholly
// in Cyrillic or Greek is left alone.
Fold fold_word(std::string_view word, std::string& out) {
    bool latin = false, foreign = false, wide = false, fullwidth = false;
    for (size_t pos = 0; pos < word.size();) {
        char32_t cp = next_code_point(word, pos);
        if (cp < 0x80 && std::isalpha(static_cast<int>(cp)))
            latin = true;
        else if (cp >= 0xFF01 && cp <= 0xFF5E)
            fullwidth = true, wide = wide || is_fullwidth_letter(cp);
        else if (lookalike_of(cp))
            foreign = true;
    }
    if (!fullwidth && !(latin && foreign)) {
        out.append(word);
        return Fold::plain;
    }
    for (size_t pos = 0; pos < word.size();) {
        size_t start = pos;
        char c = lookalike_of(next_code_point(word, pos));
        if (c)
            out += c;
        else
            out.append(word.substr(start, pos - start));
    }
    if ((latin && (foreign || wide)) || (wide && foreign))
        return Fold::disguise;
    return wide ? Fold::wide : Fold::plain;
}

} // namespace

namespace detail {

// Whether text holds Chinese, Japanese or Korean script, which writes
// Latin letters, digits and punctuation in full-width forms as a matter
// of course.
bool has_east_asian(std::string_view utf8) {
    if (is_ascii(utf8))
        return false;
    for (size_t pos = 0; pos < utf8.size();) {
        char32_t cp = next_code_point(utf8, pos);
        if ((cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x9FFF) ||
            (cp >= 0xAC00 && cp <= 0xD7AF))
            return true;
    }
    return false;
}

FoldCounts fold_words(std::string& utf8) {
    if (is_ascii(utf8))
        return {}; // look-alikes and full-width forms are outside ASCII
    std::string out;
    out.reserve(utf8.size());
    FoldCounts folded;
    size_t word_start = 0;
    auto flush = [&](size_t end) {
        if (end <= word_start)
            return;
        Fold fold = fold_word(
            std::string_view(utf8).substr(word_start, end - word_start), out);
        folded.disguised += fold == Fold::disguise;
        folded.wide += fold == Fold::wide;
    };
    for (size_t pos = 0; pos < utf8.size();) {
        size_t start = pos;
        char32_t cp = next_code_point(utf8, pos);
        if (!is_word_break(cp))
            continue;
        flush(start);
        out.append(utf8, start, pos - start);
        word_start = pos;
    }
    flush(utf8.size());
    utf8 = std::move(out);
    return folded;
}

} // namespace detail

size_t fold_lookalikes(std::string& utf8) {
    // A word in full-width letters alone is a disguise in English text,
    // and how Japanese writes "ＰＣ".
    bool wide_is_normal = has_east_asian(utf8);
    FoldCounts folded = fold_words(utf8);
    return folded.disguised + (wide_is_normal ? 0 : folded.wide);
}

std::string fold_host(std::string_view host) {
    std::string out;
    for (size_t pos = 0; pos < host.size();) {
        size_t start = pos;
        char32_t cp = next_code_point(host, pos);
        if (mail::is_invisible(cp))
            continue;
        // Browsers read the ideographic full stops as dots between labels
        // (UTS 46), so "evil。example" goes to evil.example.
        if (cp == 0x3002 || cp == 0xFF61)
            out += '.';
        else if (char c = lookalike_of(cp))
            out += c;
        else
            out.append(host.substr(start, pos - start));
    }
    return ascii_lower(out);
}

} // namespace portcullis::text
