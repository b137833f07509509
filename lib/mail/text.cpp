// Decoding and cleaning message text. Every step works on UTF-8 and
// never fails: text that cannot be decoded is read as Windows-1252, the
// way mail readers show it, so a scanner sees what a person would see.
#include "mail/text.hpp"
#include "core/digest.hpp"
#include "core/strings.hpp"
#include "mail/text_detail.hpp"

#include "mail/charset.hpp"
#include "mail/gmime_support.hpp"
#include "mail/unicode_marks.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <set>
#include <strings.h>
#include <unordered_map>

namespace portcullis::text {

namespace detail {

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

bool is_ascii(std::string_view s) {
    unsigned char any = 0;
    for (char c : s)
        any |= static_cast<unsigned char>(c);
    return any < 0x80;
}

} // namespace detail

namespace {

using detail::fold_words;
using detail::FoldCounts;
using detail::has_east_asian;
using detail::is_ascii;
using detail::next_code_point;
using detail::replacement;

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

// How much of the input one slice converts: text of any length is then
// held as its decoded bytes and a slice or two, never twice over.
constexpr size_t convert_slice_bytes = 64 * 1024;

// Where a slice of UTF-8 bytes (valid or not) may end at or before end:
// before a byte that continues no sequence, so that the slices are read
// as the whole is.
size_t utf8_cut(std::string_view bytes, size_t end) {
    if (end >= bytes.size())
        return bytes.size();
    for (size_t back = 0; back < 4 && back < end; ++back)
        if ((static_cast<unsigned char>(bytes[end - back]) & 0xC0) != 0x80)
            return end - back;
    return end;
}

} // namespace

Utf8Reader::Utf8Reader(std::string_view bytes, std::string_view charset)
    : rest_(bytes), charset_(charset) {
    if (is_utf8_name(charset))
        return;
    const char* iconv_name = g_mime_charset_iconv_name(charset_.c_str());
    if (std::strcmp(iconv_name, "iso-8859-1") == 0) {
        mode_ = Mode::latin1;
        return;
    }
    mode_ = Mode::whole;
    if (bytes.size() <= convert_slice_bytes)
        return;
    GIConv cd = g_iconv_open("UTF-8", iconv_name);
    if (cd == reinterpret_cast<GIConv>(-1))
        return;
    iconv_ = cd;
    // g_convert() refuses the whole text for one bad byte, and to_utf8()
    // then reads it all as Windows-1252: whether a slice may be converted
    // depends on the slices after it, so they are tried first.
    std::string scratch;
    mode_ = Mode::iconv;
    for (std::string_view rest = bytes; !rest.empty();)
        if (!convert_step(rest, scratch)) {
            mode_ = Mode::repair;
            break;
        }
    g_iconv(cd, nullptr, nullptr, nullptr, nullptr);
}

Utf8Reader::~Utf8Reader() {
    if (iconv_)
        g_iconv_close(static_cast<GIConv>(iconv_));
}

// Converts a slice from the front of rest into out, leaving a sequence
// the slice cuts for the next; false when the text cannot be converted.
bool Utf8Reader::convert_step(std::string_view& rest, std::string& out) {
    auto cd = static_cast<GIConv>(iconv_);
    size_t take = std::min(rest.size(), convert_slice_bytes);
    out.resize(take * 4 + 16);
    auto* in = const_cast<gchar*>(rest.data());
    gsize in_left = take;
    gchar* at = out.data();
    gsize out_left = out.size();
    while (in_left > 0) {
        if (g_iconv(cd, &in, &in_left, &at, &out_left) !=
            static_cast<gsize>(-1))
            continue;
        if (errno == E2BIG) {
            size_t used = static_cast<size_t>(at - out.data());
            out.resize(out.size() * 2);
            at = out.data() + used;
            out_left = out.size() - used;
            continue;
        }
        // A sequence cut by the slice's end is read with the next slice;
        // one cut by the text's end, or a byte the charset has no
        // character for, fails the text as it fails g_convert().
        if (errno != EINVAL || take == rest.size() || in_left == take)
            return false;
        break;
    }
    out.resize(static_cast<size_t>(at - out.data()));
    rest.remove_prefix(take - in_left);
    return true;
}

bool Utf8Reader::next(std::string& out) {
    out.clear();
    if (rest_.empty())
        return false;
    switch (mode_) {
    case Mode::whole:
        out = to_utf8(rest_, charset_);
        rest_ = {};
        return true;
    case Mode::iconv: {
        std::string converted;
        if (!convert_step(rest_, converted))
            return false; // the trial run converted it all
        out = repair_utf8(converted);
        return true;
    }
    case Mode::latin1: {
        size_t take = std::min(rest_.size(), convert_slice_bytes);
        out = latin1_to_utf8(rest_.substr(0, take));
        rest_.remove_prefix(take);
        return true;
    }
    case Mode::repair:
        break;
    }
    size_t take = utf8_cut(rest_, convert_slice_bytes);
    out = repair_utf8(rest_.substr(0, take));
    rest_.remove_prefix(take);
    return true;
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

// The words of a text, lower case, one blank between each, as SHA-256:
// two alternatives with the same key say the same to a reader, whatever
// their markup, line breaks or punctuation. Text is added a slice at a
// time, each slice ending between characters.
class WordKey {
public:
    void add(std::string_view text) {
        for (size_t i = 0; i < text.size(); ++i) {
            auto c = static_cast<unsigned char>(text[i]);
            bool no_break_space =
                c == 0xC2 && i + 1 < text.size() &&
                static_cast<unsigned char>(text[i + 1]) == 0xA0;
            if (no_break_space || (c < 0x80 && !std::isalnum(c))) {
                i += no_break_space ? 1 : 0;
                gap_ = any_;
                continue;
            }
            if (gap_)
                key_ += ' ';
            gap_ = false;
            any_ = true;
            key_ += ascii_lower(static_cast<char>(c));
        }
        if (key_.size() >= (64 << 10)) {
            sha_.update(key_);
            key_.clear();
        }
    }

    std::string hex() {
        sha_.update(key_);
        return sha_.hex();
    }

private:
    digest::Sha256 sha_;
    std::string key_; ///< not yet hashed
    bool gap_ = false;
    bool any_ = false;
};

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
// binary attachments are the attachment rules' business. A text part
// of any other kind is read, named or not, inline or an alternative: a
// calendar invitation's description or an unnamed text/csv is shown or
// saved by mail readers as any body is. Returns the charset to read it
// with.
std::optional<std::string> text_attachment_charset(const mime::Part& part) {
    if (part.is_multipart || part.is_message)
        return std::nullopt;
    if (part.content_type.starts_with("text/"))
        return part.charset;
    if (!part.is_attachment)
        return std::nullopt;
    return sniff_text(part.decoded, part.charset);
}

// Appends a slice of a part's decoded text to raw_body, up to what is
// left of the cap, cut at the start of a character; once a part is cut,
// none of the rest of it is kept.
class RawText {
public:
    RawText(MessageText& out, size_t& budget) : out_(out), budget_(budget) {}

    void add(std::string_view utf8) {
        if (cut_)
            return;
        std::string_view kept = utf8;
        if (kept.size() > budget_) {
            size_t cut = budget_;
            while (cut > 0 &&
                   (static_cast<unsigned char>(utf8[cut]) & 0xC0) == 0x80)
                --cut;
            kept = utf8.substr(0, cut);
            out_.raw_truncated = cut_ = true;
        }
        budget_ -= kept.size();
        out_.raw_body += kept;
    }

    /// Whether the rest of the part would add nothing.
    bool done() const { return cut_; }

    /// Ends the part's text with a line end.
    void end() { out_.raw_body += '\n'; }

private:
    MessageText& out_;
    size_t& budget_;
    bool cut_ = false;
};

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

// Cleans the body's text, piece by piece as it is read, as a reader sees
// it, and squeezes its white space into out.body, up to max_bytes of the
// text so made. The cap counts what rules read, not what was sent, so
// that comments, hidden markup or blank lines before the words hide none
// of them; text is cleaned in slices of 64 KiB, and none past the cap,
// so a piece is never held whole.
class BodyCleaner {
public:
    BodyCleaner(MessageText& out, size_t max_bytes)
        : out_(out), squeezer_(out.body, &out.paragraph_breaks, max_bytes) {}

    /// Adds text to the piece being read; pieces are cleaned apart.
    void add(std::string_view text) {
        // Full-width letters are ordinary in text that holds Chinese,
        // Japanese or Korean anywhere, past the cap too.
        east_asian_ = east_asian_ || has_east_asian(text);
        if (out_.truncated)
            return;
        pending_ += text;
        while (pending_.size() > (64 << 10) && !out_.truncated)
            clean(slice_end(pending_));
    }

    /// Ends the piece being read.
    void end_piece() {
        while (!pending_.empty() && !out_.truncated)
            clean(slice_end(pending_));
        pending_.clear();
    }

    /// Whether more text could still change what is read.
    bool wants_more() const {
        return !out_.truncated || (folded_.wide > 0 && !east_asian_);
    }

    /// Keeps text to read after all the rest, each apart: what is
    /// hidden, however long, never pushes what is shown past the cap.
    void add_last(std::string&& text) { last_.push_back(std::move(text)); }

    /// Reads what add_last kept, then counts the look-alike words.
    void finish() {
        for (std::string& text : last_) {
            if (!out_.truncated)
                out_.piece_starts.push_back(out_.body.size());
            add(text);
            add("\n");
            end_piece();
            text = {};
        }
        out_.lookalike_words +=
            folded_.disguised + (east_asian_ ? 0 : folded_.wide);
    }

private:
    void clean(size_t cut) {
        std::string slice = pending_.substr(0, cut);
        pending_.erase(0, cut);
        // Runs read in display order go on lines after the slice's.
        if (add_display_order(slice) > 0)
            slice += '\n';
        out_.zero_width_body += remove_invisible(slice);
        FoldCounts folded = fold_words(slice);
        folded_.disguised += folded.disguised;
        folded_.wide += folded.wide;
        if (!squeezer_.append(slice)) {
            out_.truncated = true;
            pending_.clear();
        }
    }

    MessageText& out_;
    Squeezer squeezer_;
    std::string pending_;
    std::vector<std::string> last_;
    FoldCounts folded_;
    bool east_asian_ = false;
};

// Reads the alternatives of the body once each: two that say the same
// words are one to a reader.
class AlternativeFilter {
public:
    AlternativeFilter(const mime::Tree& tree, TextParts parts)
        : alternatives_(tree), scoring_(parts == TextParts::inline_only) {}

    /// Returns the multipart/alternative a part is in, where an
    /// alternative read before may have said the same; "" elsewhere.
    std::string around(const mime::Part& part) const {
        return scoring_ ? alternatives_.around(part.path) : "";
    }

    /// Returns true the first time an alternative of around says these
    /// words.
    bool first(const std::string& around, WordKey& key) {
        return read_.insert({around, key.hex()}).second;
    }

private:
    Alternatives alternatives_;
    bool scoring_;
    std::set<std::pair<std::string, std::string>> read_;
};

// The part's text in UTF-8: its own bytes when they are so already, else
// a copy converted.
std::string_view utf8_of(std::string_view bytes, std::string_view charset,
                         std::string& copy) {
    if (is_utf8_name(charset) && is_valid_utf8(bytes))
        return bytes;
    copy = to_utf8(bytes, charset);
    return copy;
}

// An HTML part is reduced whole, so that all its links and hidden text
// are found; what it shows is read as the body.
void read_html(MessageText& out, BodyCleaner& body, AlternativeFilter& seen,
               const mime::Part& part, std::string_view charset,
               size_t& raw_budget, size_t max_links, Hidden hidden) {
    out.has_html = true;
    std::string copy;
    std::string_view utf8 = utf8_of(part.decoded, charset, copy);
    RawText raw(out, raw_budget);
    raw.add(utf8);
    raw.end();
    size_t room = max_links - std::min(max_links, out.links.size());
    Html html = html_to_text(utf8, room, hidden);
    copy = {};
    out.hidden_html_bytes += html.hidden_bytes;
    out.html_images += html.image_sources.size();
    out.links_dropped = out.links_dropped || html.links_dropped;
    for (Link& link : html.links)
        out.links.push_back(std::move(link));
    std::string around = seen.around(part);
    if (!around.empty()) {
        WordKey key;
        key.add(html.text);
        if (!seen.first(around, key))
            return;
    }
    body.add(html.text);
    body.add("\n");
    body.end_piece();
    // Hidden text is read after all that is shown, apart from it: words
    // hidden to pass a data-leak rule still leave with the message.
    if (!html.hidden_text.empty())
        body.add_last(std::move(html.hidden_text));
    for (std::string& text : html.apart)
        body.add_last(std::move(text));
}

// RFC 3676 with DelSp=yes: a line that ends in a space flows into the
// next with that space deleted, so a reader shows "conf " and "idential"
// as "confidential". The signature separator "-- " ends no flow.
std::string join_flowed_lines(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    while (!text.empty()) {
        size_t end = text.find('\n');
        std::string_view line =
            text.substr(0, end == std::string_view::npos ? text.size() : end);
        std::string_view ending =
            text.substr(line.size(), end == std::string_view::npos ? 0 : 1);
        text.remove_prefix(line.size() + ending.size());
        std::string_view content = line;
        if (!content.empty() && content.back() == '\r')
            content.remove_suffix(1);
        if (!ending.empty() && content.ends_with(' ') && content != "-- ") {
            out.append(content.substr(0, content.size() - 1));
            continue;
        }
        out.append(line);
        out.append(ending);
    }
    return out;
}

// Plain text is converted a slice at a time, and read no further than
// the caps need: a run-length bomb's hundreds of megabytes of blanks are
// never held converted.
void read_plain(MessageText& out, BodyCleaner& body, AlternativeFilter& seen,
                const mime::Part& part, std::string_view charset,
                size_t& raw_budget) {
    out.has_plain = true;
    std::string unflowed;
    std::string_view decoded = part.decoded;
    if (part.flowed_delsp) {
        unflowed = join_flowed_lines(part.decoded);
        decoded = unflowed;
    }
    std::string slice;
    std::string around = seen.around(part);
    if (!around.empty()) {
        // Whether an alternative said it before is known at its end, so
        // it is read twice: once for its words, once into the body.
        WordKey key;
        RawText raw(out, raw_budget);
        for (Utf8Reader reader(decoded, charset); reader.next(slice);) {
            raw.add(slice);
            key.add(slice);
        }
        raw.end();
        if (!seen.first(around, key))
            return;
        for (Utf8Reader reader(decoded, charset);
             body.wants_more() && reader.next(slice);)
            body.add(slice);
    } else {
        RawText raw(out, raw_budget);
        for (Utf8Reader reader(decoded, charset);
             (body.wants_more() || !raw.done()) && reader.next(slice);) {
            raw.add(slice);
            body.add(slice);
        }
        raw.end();
    }
    body.add("\n");
    body.end_piece();
}

// Reads one part's text into the body and raw_body.
void read_part(MessageText& out, BodyCleaner& body, AlternativeFilter& seen,
               const mime::Part& part, std::string_view charset,
               size_t& raw_budget, size_t max_links, Hidden hidden) {
    if (part.content_type == "text/html")
        read_html(out, body, seen, part, charset, raw_budget, max_links,
                  hidden);
    else
        read_plain(out, body, seen, part, charset, raw_budget);
}

// Adds a piece of text that is read whole, such as a subject.
void add_piece(BodyCleaner& body, std::string_view text) {
    body.add(text);
    body.end_piece();
}

} // namespace

MessageText extract(const mime::Tree& tree, size_t max_body_bytes,
                    TextParts parts, size_t max_links) {
    MessageText out;
    out.subject = decode_header(tree.header("Subject"));
    // The body's text is cleaned in the order it is read.
    BodyCleaner body(out, max_body_bytes);
    // Text a right-to-left override reverses is read as shown, too.
    std::string subject_shown = out.subject;
    if (add_display_order(subject_shown) > 0)
        add_piece(body, subject_shown.substr(out.subject.size() + 1) + '\n');
    out.zero_width_subject = remove_invisible(out.subject);
    out.lookalike_words += fold_lookalikes(out.subject);
    out.subject = squeeze_space(out.subject);

    // Readers disagree on which of two Subject fields they show; the
    // words of every one are read.
    std::vector<std::string> subjects = tree.header_all("Subject");
    for (size_t i = 1; parts == TextParts::readable && i < subjects.size(); ++i)
        add_piece(body, decode_header(subjects[i]) + '\n');

    size_t raw_budget = max_body_bytes;
    // Every alternative is read, as a reader may be shown either and a
    // sender may put other words in each: a plain part saying "best
    // viewed in HTML" must not hide the HTML. Scoring reads an
    // alternative that says what an earlier one said only once, so that
    // its paragraphs do not count twice for tflags multiple; by SHA-256,
    // so that no sender can make other words pass for them.
    AlternativeFilter seen(tree, parts);
    for (const mime::Part& part : tree.parts) {
        if (part.is_attachment && !part.display_name().empty())
            out.attachment_names.push_back(part.display_name());
        // An attached message opens with its Subject in view.
        if (parts == TextParts::readable && !part.subject.empty())
            add_piece(body, decode_header(part.subject) + '\n');
        std::optional<std::string> attached;
        if (parts == TextParts::readable && !is_body_text(part))
            attached = text_attachment_charset(part);
        if (!is_body_text(part) && !attached)
            continue;
        // Text hidden by CSS is read only for all text a recipient can
        // open: a recipient can show it (view source, a reader that
        // ignores the style), and a data-leak rule must see what leaves.
        // Scoring keeps it out: spammers hide words to sway filters.
        read_part(out, body, seen, part, attached ? *attached : part.charset,
                  raw_budget, max_links,
                  parts == TextParts::readable ? Hidden::kept
                                               : Hidden::counted);
    }
    body.finish();
    return out;
}

} // namespace portcullis::text
