// The BinHex 4.0 decoder, written from RFC 1741 appendix A and Peter N.
// Lewis's 1991 definition. Three layers: characters of a 64-letter
// alphabet carry six bits each; the bytes they make are run-length coded
// with 0x90 as the marker; the result is a header and two forks, each
// followed by its CRC-16/XMODEM. Lengths come from the sender, so none is
// trusted: a fork ends where the data or the byte budget does.
#include "mail/binhex.hpp"
#include "mail/charset.hpp"
#include "mail/line_ends.hpp"

#include "core/limits.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace portcullis::mime {

namespace {

constexpr std::string_view intro = "(this file must be converted with binhex";
constexpr std::string_view alphabet =
    "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr";
constexpr unsigned char run_marker = 0x90;
constexpr size_t most_name_bytes = 63;
// Text full of broken blocks must not flood the verdict with notes.
constexpr size_t most_problems = 16;

// Each byte's six-bit value, or -1 for a byte outside the alphabet.
constexpr std::array<int8_t, 256> sextets = [] {
    std::array<int8_t, 256> table{};
    table.fill(-1);
    for (size_t i = 0; i < alphabet.size(); ++i)
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
    return table;
}();

// CRC-16/XMODEM: polynomial 0x1021, initial value 0, no reflection.
uint16_t crc_update(uint16_t crc, unsigned char byte) {
    crc = static_cast<uint16_t>(crc ^ (byte << 8));
    for (int bit = 0; bit < 8; ++bit)
        crc = static_cast<uint16_t>(crc & 0x8000 ? (crc << 1) ^ 0x1021
                                                 : crc << 1);
    return crc;
}

// The bytes under a block's characters, run-length decoded as they are
// read: a run costs no memory, and a long one only the bytes taken.
class HqxStream {
public:
    explicit HqxStream(std::string_view chars) : chars_(chars) {}

    /// Reads the next decoded byte; false at the end of the data.
    bool next(unsigned char& byte);

    /// Bytes skipped that were neither in the alphabet nor white space.
    size_t stray_bytes() const { return stray_; }

    /// Runs with no byte before them to repeat, which were skipped.
    size_t orphan_runs() const { return orphans_; }

    /// Returns how many of the next n bytes the data holds, reading a
    /// copy of the stream: a run counts at once, so a fork can be sized
    /// before it is read.
    size_t available(size_t n) const {
        HqxStream probe = *this;
        size_t counted = 0;
        unsigned char byte = 0;
        while (counted < n) {
            if (probe.repeat_ > 0) {
                size_t take = std::min<size_t>(probe.repeat_, n - counted);
                probe.repeat_ -= static_cast<unsigned>(take);
                counted += take;
            } else if (probe.next(byte)) {
                ++counted;
            } else {
                break;
            }
        }
        return counted;
    }

private:
    bool next_raw(unsigned char& byte);

    std::string_view chars_;
    size_t pos_ = 0;
    unsigned bits_ = 0;
    int bit_count_ = 0;
    size_t stray_ = 0;
    size_t orphans_ = 0;
    int last_ = -1; // the byte a run repeats; none before the first
    unsigned repeat_ = 0;
};

// Line breaks and blanks are no data; readers skip other strays too.
bool HqxStream::next_raw(unsigned char& byte) {
    while (bit_count_ < 8) {
        if (pos_ >= chars_.size())
            return false;
        auto c = static_cast<unsigned char>(chars_[pos_++]);
        int value = sextets[c];
        if (value < 0) {
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
                ++stray_;
            continue;
        }
        bits_ = (bits_ << 6 | static_cast<unsigned>(value)) & 0x3fff;
        bit_count_ += 6;
    }
    bit_count_ -= 8;
    byte = static_cast<unsigned char>(bits_ >> bit_count_ & 0xff);
    return true;
}

// 0x90 0x00 is a literal 0x90; 0x90 n repeats the byte before it n - 1
// more times, so a run is the byte, the marker and the total count.
bool HqxStream::next(unsigned char& byte) {
    for (;;) {
        if (repeat_ > 0) {
            --repeat_;
            byte = static_cast<unsigned char>(last_);
            return true;
        }
        unsigned char raw = 0;
        unsigned char count = 0;
        if (!next_raw(raw))
            return false;
        if (raw != run_marker) {
            last_ = byte = raw;
            return true;
        }
        if (!next_raw(count))
            return false;
        if (count == 0) {
            last_ = byte = run_marker;
            return true;
        }
        if (last_ < 0)
            ++orphans_;
        else
            repeat_ = count - 1u;
    }
}

// Reads from a stream and keeps the CRC of what it read since restart().
class CrcReader {
public:
    explicit CrcReader(HqxStream& in) : in_(in) {}

    void restart() { crc_ = 0; }

    bool byte(unsigned char& b) {
        if (!in_.next(b))
            return false;
        crc_ = crc_update(crc_, b);
        return true;
    }

    // Appends up to n bytes to out; false when the data ended first.
    // A large fork is sized first: grown by doubling, a run-length bomb
    // of 500 MB held twice that.
    bool bytes(size_t n, std::string& out) {
        constexpr size_t sized_from = 1 << 20;
        if (n >= sized_from)
            out.reserve(out.size() + in_.available(n));
        unsigned char b = 0;
        for (; n > 0 && byte(b); --n)
            out.push_back(static_cast<char>(b));
        return n == 0;
    }

    bool u32(uint32_t& v) {
        unsigned char b = 0;
        v = 0;
        for (int i = 0; i < 4; ++i) {
            if (!byte(b))
                return false;
            v = v << 8 | b;
        }
        return true;
    }

    // Reads the stored CRC, big-endian, and compares it with the CRC of
    // what was read before it; false when the data ended first.
    bool check(bool& matches) {
        uint16_t computed = crc_;
        unsigned char hi = 0;
        unsigned char lo = 0;
        if (!in_.next(hi) || !in_.next(lo))
            return false;
        matches = computed == (hi << 8 | lo);
        return true;
    }

private:
    HqxStream& in_;
    uint16_t crc_ = 0;
};

// One block's files, and what was wrong with it.
struct Block {
    std::vector<EmbeddedFile> files;
    std::vector<std::string> problems;
    bool limit_hit = false;
};

struct Header {
    std::string name; ///< as stored, in Mac Roman
    uint32_t data_bytes = 0;
    uint32_t rsrc_bytes = 0;
    bool crc_matches = false;
};

// Name length, name, version, type, creator, flags, the two fork
// lengths, then the CRC of all of them.
bool read_header(CrcReader& in, Header& header) {
    unsigned char name_bytes = 0;
    std::string fixed;
    return in.byte(name_bytes) && in.bytes(name_bytes, header.name) &&
           in.bytes(11, fixed) && in.u32(header.data_bytes) &&
           in.u32(header.rsrc_bytes) && in.check(header.crc_matches);
}

// Reads a fork of length bytes into data, at most room of them; returns
// false when what follows the fork cannot be read.
bool read_fork(CrcReader& in, uint32_t length, std::string_view fork,
               size_t& room, std::string& data, Block& block) {
    in.restart();
    size_t want = std::min<size_t>(length, room);
    bool whole = in.bytes(want, data);
    room -= data.size();
    if (!whole) {
        block.problems.push_back(fmt::format("{} fork cut short: {} of {}",
                                             fork, data.size(), length));
        return false;
    }
    if (want < length) {
        block.limit_hit = true;
        return false;
    }
    bool matches = false;
    if (!in.check(matches)) {
        block.problems.push_back(fmt::format("{} fork without its crc", fork));
        return false;
    }
    if (!matches)
        block.problems.push_back(fmt::format("{} fork crc mismatch", fork));
    return true;
}

void note_stream_damage(const HqxStream& stream, Block& block) {
    if (stream.stray_bytes() > 0)
        block.problems.push_back(fmt::format("bytes outside the alphabet: {}",
                                             stream.stray_bytes()));
    if (stream.orphan_runs() > 0)
        block.problems.push_back(fmt::format("runs with no byte to repeat: {}",
                                             stream.orphan_runs()));
}

// The data fork is the file readers save, empty or not; the resource
// fork, where Mac programs keep their code, is scanned as a file too.
Block decode_block(std::string_view chars, size_t room) {
    Block block;
    HqxStream stream(chars);
    CrcReader in(stream);
    Header header;
    if (!read_header(in, header)) {
        note_stream_damage(stream, block);
        block.problems.push_back("ends inside its header");
        return block;
    }
    if (header.name.empty() || header.name.size() > most_name_bytes)
        block.problems.push_back(
            fmt::format("name of {} bytes", header.name.size()));
    if (!header.crc_matches)
        block.problems.push_back("header crc mismatch");
    EmbeddedFile data{to_utf8(header.name, "macintosh"), {}, {}};
    EmbeddedFile rsrc{data.name + ".rsrc", {}, {}};
    if (read_fork(in, header.data_bytes, "data", room, data.data, block) &&
        header.rsrc_bytes > 0)
        read_fork(in, header.rsrc_bytes, "resource", room, rsrc.data, block);
    note_stream_damage(stream, block);
    block.files.push_back(std::move(data));
    if (!rsrc.data.empty())
        block.files.push_back(std::move(rsrc));
    return block;
}

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

char lower_ascii(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Readers match the start of the line only, in any case, so "4.0)" and
// what follows may differ; Mac line ends (a bare CR) end a line too.
bool is_intro_line(std::string_view text, size_t pos) {
    while (pos < text.size() && is_blank(text[pos]))
        ++pos;
    if (text.size() - pos < intro.size())
        return false;
    for (size_t i = 0; i < intro.size(); ++i) {
        if (lower_ascii(text[pos + i]) != intro[i])
            return false;
    }
    return true;
}

// Where the line at pos ends: at its LF or at a CR, bare or not (a CR
// LF's LF then starts an empty line, which no block needs).
size_t line_end(std::string_view text, size_t pos) {
    size_t eol = mail::line_end(text, pos);
    if (eol != std::string_view::npos && eol > pos && text[eol] == '\n' &&
        text[eol - 1] == '\r')
        return eol - 1;
    return eol == std::string_view::npos ? text.size() : eol;
}

// The start of the first intro line at or after pos, itself a line
// start, or npos. Every intro opens with '(' after blanks, so only the
// places a '(' starts a line are tried: most text holds few.
size_t next_intro(std::string_view text, size_t pos) {
    for (size_t open = text.find('(', pos); open != std::string_view::npos;
         open = text.find('(', open + 1)) {
        size_t start = open;
        while (start > pos && is_blank(text[start - 1]))
            --start;
        bool line_start =
            start == pos || text[start - 1] == '\n' || text[start - 1] == '\r';
        if (line_start && is_intro_line(text, start))
            return start;
    }
    return std::string_view::npos;
}

// Adds a block's files and notes to what was found, within max_files.
void take_block(Block& block, size_t number, size_t max_files, size_t& room,
                BinhexContents& out) {
    for (const std::string& problem : block.problems) {
        if (out.problems.size() < most_problems)
            out.problems.push_back(
                fmt::format("block {}: {}", number, problem));
    }
    for (EmbeddedFile& file : block.files) {
        room -= std::min(room, file.data.size());
        if (out.files.size() < max_files)
            out.files.push_back(std::move(file));
    }
    out.limit_hit = block.limit_hit;
}

// What one block may decode to: runs repeat a byte up to 255 times, so
// 8 MB of them claim 512 MB, and a file sent as BinHex is seldom more
// than a few times the size of its characters.
size_t block_room(std::string_view chars, size_t room, size_t max_ratio) {
    size_t allowed = chars.size() > SIZE_MAX / std::max<size_t>(max_ratio, 1)
                         ? SIZE_MAX
                         : chars.size() * max_ratio;
    allowed = std::max(allowed, Limits::expansion_floor_bytes);
    return std::min(room, allowed);
}

} // namespace

bool may_hold_binhex(std::string_view text) {
    return next_intro(text, 0) != std::string_view::npos;
}

bool is_binhex_type(std::string_view content_type) {
    for (std::string_view type :
         {"application/mac-binhex40", "application/x-mac-binhex40",
          "application/binhex", "application/binhex4",
          "application/x-binhex40"}) {
        if (content_type == type)
            return true;
    }
    return false;
}

// Each block runs from its intro line to the next one, so a block that
// never closes cannot swallow the block after it.
BinhexContents find_binhex(std::string_view text, size_t max_files,
                           size_t max_bytes, size_t max_ratio) {
    BinhexContents out;
    size_t room = max_bytes;
    size_t number = 0;
    size_t pos = next_intro(text, 0);
    while (pos != std::string_view::npos && out.files.size() < max_files &&
           !out.limit_hit) {
        size_t from = line_end(text, pos);
        pos = next_intro(text, from);
        std::string_view region = text.substr(
            from, (pos == std::string_view::npos ? text.size() : pos) - from);
        size_t colon = region.find(':');
        if (colon == std::string_view::npos)
            continue;
        std::string_view chars = region.substr(colon + 1);
        size_t close = chars.find(':');
        chars = chars.substr(0, close);
        size_t allowed = block_room(chars, room, max_ratio);
        Block block = decode_block(chars, allowed);
        if (close == std::string_view::npos)
            block.problems.push_back("no closing colon");
        out.ratio_hit = block.limit_hit && allowed < room;
        take_block(block, ++number, max_files, room, out);
    }
    return out;
}

} // namespace portcullis::mime
