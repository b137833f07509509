// Decoding and cleaning message text. Every step works on UTF-8 and
// never fails: text that cannot be decoded is read as Windows-1252, the
// way mail readers show it, so a scanner sees what a person would see.
#include "mail/text.hpp"
#include "core/digest.hpp"
#include "core/strings.hpp"

#include "mail/charset.hpp"
#include "mail/gmime_support.hpp"
#include "mail/unicode_marks.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <set>
#include <strings.h>
#include <unordered_map>

namespace portcullis::text {

namespace {

constexpr char32_t replacement = 0xFFFD;

// Decodes one code point at pos; an invalid byte yields U+FFFD and
// advances one byte, so the caller can never loop.
char32_t next_code_point(std::string_view s, size_t& pos) {
    auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
    unsigned char c = byte(pos);
    if (c < 0x80) {
        ++pos;
        return c;
    }
    int length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (length == 0 || c > 0xF4 || pos + length > s.size()) {
        ++pos;
        return replacement;
    }
    char32_t cp = c & (0x7F >> length);
    for (int i = 1; i < length; ++i) {
        unsigned char k = byte(pos + i);
        if ((k & 0xC0) != 0x80) {
            ++pos;
            return replacement;
        }
        cp = (cp << 6) | (k & 0x3F);
    }
    static constexpr char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < smallest[length] || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
        ++pos;
        return replacement;
    }
    pos += length;
    return cp;
}

// The 0x80-0x9F row of Windows-1252; the rest of it is Latin-1.
constexpr std::array<char16_t, 32> cp1252_high = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
    0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0xFFFD};

char32_t from_cp1252(unsigned char c) {
    if (c >= 0x80 && c < 0xA0)
        return cp1252_high[c - 0x80];
    return c;
}

bool is_ascii(std::string_view s) {
    unsigned char any = 0;
    for (char c : s)
        any |= static_cast<unsigned char>(c);
    return any < 0x80;
}

// Returns where the next byte of 0x80 or above is, or the size: most
// mail text is ASCII, and runs of it need no decoding.
size_t ascii_run_end(std::string_view s, size_t pos) {
    while (pos < s.size() && static_cast<unsigned char>(s[pos]) < 0x80)
        ++pos;
    return pos;
}

// Valid UTF-8 is kept; each invalid byte is read as Windows-1252, which
// is what a mislabelled message almost always is.
std::string repair_utf8(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    size_t pos = 0;
    while (pos < bytes.size()) {
        size_t ascii_end = ascii_run_end(bytes, pos);
        out.append(bytes.substr(pos, ascii_end - pos));
        pos = ascii_end;
        if (pos == bytes.size())
            break;
        size_t start = pos;
        char32_t cp = next_code_point(bytes, pos);
        if (cp == replacement && pos == start + 1 &&
            static_cast<unsigned char>(bytes[start]) != 0xEF)
            cp = from_cp1252(static_cast<unsigned char>(bytes[start]));
        append_utf8(out, cp);
    }
    return out;
}

bool is_valid_utf8(std::string_view bytes) {
    for (size_t pos = ascii_run_end(bytes, 0); pos < bytes.size();
         pos = ascii_run_end(bytes, pos)) {
        size_t start = pos;
        if (next_code_point(bytes, pos) == replacement &&
            !(pos == start + 3 && bytes.substr(start, 3) == "\xEF\xBF\xBD"))
            return false;
    }
    return true;
}

bool is_utf8_name(std::string_view charset) {
    return charset.empty() || strncasecmp(charset.data(), "utf-8", 5) == 0 ||
           strncasecmp(charset.data(), "utf8", 4) == 0 ||
           strncasecmp(charset.data(), "us-ascii", 8) == 0 ||
           strncasecmp(charset.data(), "ascii", 5) == 0;
}

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
        {0xA731, 's'},
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

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

} // namespace

// ISO-8859-1 is the identity on U+0000-U+00FF: what iconv would do,
// without opening a converter for every part.
std::string latin1_to_utf8(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    for (char c : bytes)
        append_utf8(out, static_cast<unsigned char>(c));
    return out;
}

std::string to_utf8(std::string_view bytes, std::string_view charset) {
    if (is_utf8_name(charset))
        return repair_utf8(bytes);
    std::string name(charset);
    const char* iconv_name = g_mime_charset_iconv_name(name.c_str());
    if (std::strcmp(iconv_name, "iso-8859-1") == 0)
        return latin1_to_utf8(bytes);
    gsize written = 0;
    GError* error = nullptr;
    gchar* converted =
        g_convert(bytes.data(), static_cast<gssize>(bytes.size()), "UTF-8",
                  iconv_name, nullptr, &written, &error);
    if (!converted) {
        g_clear_error(&error);
        return repair_utf8(bytes);
    }
    std::string out(converted, written);
    g_free(converted);
    return repair_utf8(out);
}

namespace {

// A value of ASCII without encoded words, line breaks or white space at
// either end is what GMime's unfolding and decoding return unchanged;
// most header values are such, and GMime's copies cost.
bool decodes_to_itself(std::string_view raw) {
    if (raw.empty())
        return true;
    auto edge_ok = [](char c) { return static_cast<unsigned char>(c) > 0x20; };
    if (!edge_ok(raw.front()) || !edge_ok(raw.back()))
        return false;
    for (char c : raw)
        if (c == '\0' || c == '\r' || c == '\n' ||
            static_cast<unsigned char>(c) >= 0x80)
            return false;
    return raw.find("=?") == std::string_view::npos;
}

} // namespace

// Unfolds, then decodes each encoded-word as RFC 2047 says, as readers
// and SpamAssassin do: GMime 3.2's decoder joined the base64 of adjacent
// words before decoding, so "=?utf-8?b?SGk=?= =?utf-8?b?IHZpYWdyYQ==?="
// lost all after the first word's padding, and it cut multi-word
// ISO-2022-JP subjects short.
std::string decode_header(std::string_view raw) {
    if (decodes_to_itself(raw))
        return std::string(raw);
    // A NUL is nothing a reader sees; a line end is folding.
    std::string unfolded;
    unfolded.reserve(raw.size());
    for (char c : raw)
        if (c != '\0' && c != '\r' && c != '\n')
            unfolded += c;
    // Raw 8-bit text that is not UTF-8 as a whole is read as
    // Windows-1252 as a whole: a byte pair that happens to be valid
    // UTF-8 inside Latin-1 text is two letters, not one.
    if (!is_valid_utf8(unfolded)) {
        std::string latin;
        for (char c : unfolded)
            append_utf8(latin, from_cp1252(static_cast<unsigned char>(c)));
        unfolded = std::move(latin);
    }
    std::string out = repair_utf8(mime::decode_encoded_words(unfolded));
    std::erase(out, '\0'); // an encoded NUL, as a raw one
    size_t first = out.find_first_not_of(" \t");
    if (first == std::string::npos)
        return {};
    return out.substr(first, out.find_last_not_of(" \t") + 1 - first);
}

size_t add_display_order(std::string& utf8) {
    constexpr char32_t override_rtl = 0x202E;
    if (utf8.find("\xE2\x80\xAE") == std::string::npos)
        return 0;
    std::string shown;
    size_t runs = 0;
    for (size_t pos = 0; pos < utf8.size();) {
        if (next_code_point(utf8, pos) != override_rtl)
            continue;
        // The run lasts to its pop, to another embedding, override or
        // isolate, or to the end of the line, as the bidi algorithm ends
        // it at a paragraph.
        std::u32string run;
        while (pos < utf8.size()) {
            size_t at = pos;
            char32_t cp = next_code_point(utf8, pos);
            if (cp == '\n' || (cp >= 0x202A && cp <= 0x202E) ||
                (cp >= 0x2066 && cp <= 0x2069)) {
                pos = at;
                break;
            }
            run.push_back(cp);
        }
        if (run.empty())
            continue;
        shown += '\n';
        for (auto cp = run.rbegin(); cp != run.rend(); ++cp)
            append_utf8(shown, *cp);
        ++runs;
    }
    utf8 += shown;
    return runs;
}

size_t remove_invisible(std::string& utf8) {
    if (is_ascii(utf8))
        return 0; // every invisible character is outside ASCII
    std::string out;
    out.reserve(utf8.size());
    size_t removed = 0;
    for (size_t pos = 0; pos < utf8.size();) {
        size_t start = pos;
        char32_t cp = next_code_point(utf8, pos);
        if (mail::is_invisible(cp)) {
            ++removed;
            continue;
        }
        out.append(utf8, start, pos - start);
    }
    utf8 = std::move(out);
    return removed;
}

namespace {

// Folds as fold_lookalikes() does; wide_is_normal says whether the text
// the words come from holds Chinese, Japanese or Korean.
size_t fold_words(std::string& utf8, bool wide_is_normal) {
    if (is_ascii(utf8))
        return 0; // look-alikes and full-width forms are outside ASCII
    std::string out;
    out.reserve(utf8.size());
    size_t folded = 0;
    size_t word_start = 0;
    auto flush = [&](size_t end) {
        if (end <= word_start)
            return;
        Fold fold = fold_word(
            std::string_view(utf8).substr(word_start, end - word_start), out);
        if (fold == Fold::disguise || (fold == Fold::wide && !wide_is_normal))
            ++folded;
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

} // namespace

size_t fold_lookalikes(std::string& utf8) {
    // A word in full-width letters alone is a disguise in English text,
    // and how Japanese writes "ＰＣ".
    return fold_words(utf8, has_east_asian(utf8));
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
    return lower_ascii(out);
}

namespace {

// Collapses white space as squeeze_space() does, a piece of text at a
// time, into out, stopping before the first character that would take
// it past max_bytes.
class Squeezer {
public:
    Squeezer(std::string& out, std::vector<size_t>* breaks,
             size_t max_bytes = SIZE_MAX)
        : out_(out), breaks_(breaks), max_bytes_(max_bytes) {}

    /// Appends text; returns false when the cap left some of it out.
    bool append(std::string_view text);

private:
    std::string& out_;
    std::vector<size_t>* breaks_;
    size_t max_bytes_;
    bool space_ = false; ///< white space is pending
    int line_feeds_ = 0; ///< in the pending white space
};

} // namespace

bool Squeezer::append(std::string_view text) {
    for (size_t pos = 0; pos < text.size();) {
        size_t start = pos;
        auto byte = static_cast<unsigned char>(text[pos]);
        char32_t cp = byte;
        if (byte < 0x80)
            ++pos;
        else
            cp = next_code_point(text, pos);
        bool is_space = cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' ||
                        cp == '\f' || cp == '\v' || cp == 0xA0 ||
                        cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200A);
        if (is_space) {
            space_ = !out_.empty();
            line_feeds_ += cp == '\n';
            continue;
        }
        size_t gap = space_ ? 1 : 0;
        if (out_.size() + gap + (pos - start) > max_bytes_)
            return false;
        if (space_ && breaks_ && line_feeds_ >= 2)
            breaks_->push_back(out_.size());
        if (space_)
            out_ += ' ';
        space_ = false;
        line_feeds_ = 0;
        out_.append(text.substr(start, pos - start));
    }
    return true;
}

std::string squeeze_space(std::string_view text, std::vector<size_t>* breaks) {
    std::string out;
    out.reserve(text.size());
    Squeezer(out, breaks).append(text);
    return out;
}

} // namespace portcullis::text

namespace portcullis::text {

namespace {

std::string parent_path(const std::string& path) {
    size_t dot = path.rfind('.');
    return dot == std::string::npos ? "" : path.substr(0, dot);
}

// Finds the multipart/alternative nearest above a part, by path.
class Alternatives {
public:
    explicit Alternatives(const mime::Tree& tree) {
        for (const mime::Part& part : tree.parts)
            if (part.content_type == "multipart/alternative")
                paths_.insert(part.path);
    }

    /// Returns the path of the alternative that holds path, or "".
    std::string around(const std::string& path) const {
        for (std::string at = parent_path(path); !at.empty();
             at = parent_path(at))
            if (paths_.contains(at))
                return at;
        return "";
    }

private:
    std::set<std::string> paths_;
};

// The words of a text, lower case, one blank between each: two
// alternatives with the same key say the same to a reader, whatever
// their markup, line breaks or punctuation.
std::string word_key(std::string_view text) {
    std::string key;
    bool gap = false;
    for (size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        bool no_break_space = c == 0xC2 && i + 1 < text.size() &&
                              static_cast<unsigned char>(text[i + 1]) == 0xA0;
        if (no_break_space || (c < 0x80 && !std::isalnum(c))) {
            i += no_break_space ? 1 : 0;
            gap = !key.empty();
            continue;
        }
        if (gap)
            key += ' ';
        gap = false;
        key += ascii_lower(static_cast<char>(c));
    }
    return key;
}

bool is_body_text(const mime::Part& part) {
    if (part.is_multipart || part.is_message || part.is_attachment)
        return false;
    return part.content_type == "text/plain" ||
           part.content_type == "text/html" || part.content_type.empty();
}

// How much of an attachment is looked at to tell text from binary, and
// the share of it (one in twenty) that may be control or stray bytes.
constexpr size_t sniff_bytes = 8192;
constexpr size_t sniff_odd_share = 20;

// The charset to read an attachment labelled as no text with, when its
// first bytes are text after all; nullopt for binary data. A leaked
// ledger is as readable sent as application/octet-stream or renamed
// "ledger.dat" as it is sent as text/csv, so the label does not decide.
std::optional<std::string> sniff_text(std::string_view bytes,
                                      std::string_view charset) {
    if (bytes.starts_with("\xff\xfe") || bytes.starts_with("\xfe\xff"))
        return std::string("utf-16");
    bytes = bytes.substr(0, sniff_bytes);
    if (bytes.empty())
        return std::nullopt;
    size_t odd = 0;
    bool eight_bit = false;
    for (size_t i = 0; i < bytes.size();) {
        auto c = static_cast<unsigned char>(bytes[i]);
        if (c == 0)
            return std::nullopt;
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f')
                ++odd;
            ++i;
            continue;
        }
        Utf8Char u = utf8_at(bytes, i);
        // A sequence cut by the end of the sample is no sign of binary.
        if (u.length == 0 && bytes.size() - i >= 4) {
            eight_bit = true;
            ++odd;
        }
        i += u.length == 0 ? 1 : u.length;
    }
    if (odd * sniff_odd_share > bytes.size())
        return std::nullopt;
    if (!charset.empty())
        return std::string(charset);
    return std::string(eight_bit ? "iso-8859-1" : "utf-8");
}

// A text file attached ("notes.txt", text/csv) is read as a reader
// would open it, and so is one labelled as binary whose bytes are text;
// binary attachments are the attachment rules' business. Returns the
// charset to read it with.
std::optional<std::string> text_attachment_charset(const mime::Part& part) {
    if (!part.is_attachment || part.is_multipart || part.is_message)
        return std::nullopt;
    if (part.content_type.starts_with("text/"))
        return part.charset;
    return sniff_text(part.decoded, part.charset);
}

// Appends a part's decoded text to raw_body, up to what is left of the
// cap, cut at the start of a character.
void add_raw(MessageText& out, std::string_view utf8, size_t& budget) {
    std::string_view kept = utf8;
    if (kept.size() > budget) {
        size_t cut = budget;
        while (cut > 0 &&
               (static_cast<unsigned char>(utf8[cut]) & 0xC0) == 0x80)
            --cut;
        kept = utf8.substr(0, cut);
        out.raw_truncated = true;
    }
    budget -= kept.size();
    out.raw_body += kept;
    out.raw_body += '\n';
}

// Returns the text of one part as a reader is shown it, not yet cleaned,
// and notes what its HTML holds; its decoded text goes to raw_body.
std::string part_text(MessageText& out, const mime::Part& part,
                      std::string_view charset, size_t& raw_budget,
                      size_t max_links) {
    std::string utf8 = to_utf8(part.decoded, charset);
    add_raw(out, utf8, raw_budget);
    if (part.content_type != "text/html") {
        out.has_plain = true;
        return utf8;
    }
    out.has_html = true;
    size_t room = max_links - std::min(max_links, out.links.size());
    Html html = html_to_text(utf8, room);
    out.hidden_html_bytes += html.hidden_bytes;
    out.html_images += html.image_sources.size();
    out.links_dropped = out.links_dropped || html.links_dropped;
    for (Link& link : html.links)
        out.links.push_back(std::move(link));
    return std::move(html.text);
}

// Where the first slice of long text ends: after the last line end in
// its first 64 KiB, else after its last blank, else at the start of a
// character, so that a slice cuts no word and, mostly, no line.
size_t slice_end(std::string_view text) {
    constexpr size_t slice_bytes = 64 * 1024;
    if (text.size() <= slice_bytes)
        return text.size();
    std::string_view head = text.substr(0, slice_bytes);
    size_t cut = head.rfind('\n');
    if (cut == head.npos)
        cut = head.rfind(' ');
    if (cut != head.npos)
        return cut + 1;
    cut = slice_bytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
        --cut;
    return cut > 0 ? cut : slice_bytes;
}

// Cleans the text gathered, piece by piece, as a reader sees it, and
// squeezes its white space into out.body, up to max_bytes of the text
// so made. The cap counts what rules read, not what was sent, so that
// comments, hidden markup or blank lines before the words hide none of
// them; long text is cleaned a slice at a time, and none past the cap.
void clean_body(MessageText& out, const std::vector<std::string>& pieces,
                size_t max_bytes) {
    bool wide_is_normal =
        std::any_of(pieces.begin(), pieces.end(),
                    [](const std::string& p) { return has_east_asian(p); });
    Squeezer squeezer(out.body, &out.paragraph_breaks, max_bytes);
    for (std::string_view rest : pieces) {
        while (!rest.empty()) {
            size_t cut = slice_end(rest);
            std::string slice(rest.substr(0, cut));
            rest.remove_prefix(cut);
            // Runs read in display order go on lines after the slice's.
            if (add_display_order(slice) > 0)
                slice += '\n';
            out.zero_width_body += remove_invisible(slice);
            out.lookalike_words += fold_words(slice, wide_is_normal);
            if (!squeezer.append(slice)) {
                out.truncated = true;
                return;
            }
        }
    }
}

} // namespace

MessageText extract(const mime::Tree& tree, size_t max_body_bytes,
                    TextParts parts, size_t max_links) {
    MessageText out;
    out.subject = decode_header(tree.header("Subject"));
    // The body's text, in the order it is read, before it is cleaned.
    std::vector<std::string> pieces;
    // Text a right-to-left override reverses is read as shown, too.
    std::string subject_shown = out.subject;
    if (add_display_order(subject_shown) > 0)
        pieces.push_back(subject_shown.substr(out.subject.size() + 1) + '\n');
    out.zero_width_subject = remove_invisible(out.subject);
    out.lookalike_words += fold_lookalikes(out.subject);
    out.subject = squeeze_space(out.subject);

    // Readers disagree on which of two Subject fields they show; the
    // words of every one are read.
    std::vector<std::string> subjects = tree.header_all("Subject");
    for (size_t i = 1; parts == TextParts::readable && i < subjects.size(); ++i)
        pieces.push_back(decode_header(subjects[i]) + '\n');

    size_t raw_budget = max_body_bytes;
    Alternatives alternatives(tree);
    std::set<std::pair<std::string, std::string>> read_alternatives;
    for (const mime::Part& part : tree.parts) {
        if (part.is_attachment && !part.display_name().empty())
            out.attachment_names.push_back(part.display_name());
        // An attached message opens with its Subject in view.
        if (parts == TextParts::readable && !part.subject.empty())
            pieces.push_back(decode_header(part.subject) + '\n');
        std::optional<std::string> attached;
        if (parts == TextParts::readable && !is_body_text(part))
            attached = text_attachment_charset(part);
        if (!is_body_text(part) && !attached)
            continue;
        std::string text =
            part_text(out, part, attached ? *attached : part.charset,
                      raw_budget, max_links);
        // Every alternative is read, as a reader may be shown either and
        // a sender may put other words in each: a plain part saying
        // "best viewed in HTML" must not hide the HTML. Scoring reads an
        // alternative that says what an earlier one said only once, so
        // that its paragraphs do not count twice for tflags multiple; by
        // SHA-256, so that no sender can make other words pass for them.
        if (parts == TextParts::inline_only) {
            std::string around = alternatives.around(part.path);
            if (!around.empty() &&
                !read_alternatives
                     .insert({around, digest::sha256_hex(word_key(text))})
                     .second)
                continue;
        }
        text += '\n';
        pieces.push_back(std::move(text));
    }

    clean_body(out, pieces, max_body_bytes);
    return out;
}

} // namespace portcullis::text
