// Finding and decoding uuencoded blocks. The decoder is lenient as the
// uudecode programs that MUAs copied are: short lines are padded with
// zeros, a missing `end` closes the block at the end of the text, and the
// first line that cannot be uuencoded data ends the block.
// yEnc blocks (=ybegin ... =yend), which news readers and Thunderbird
// show as files, are found and decoded here too; BinHex 4.0 blocks, with
// their header, forks and CRCs, in binhex.cpp.
#include "mail/uuencode.hpp"
#include "core/strings.hpp"

#include "mail/base64.hpp"

#include <algorithm>
#include <cstring>

namespace portcullis::mime {

namespace {

// Walks text line by line, without the line ends.
class Lines {
public:
    explicit Lines(std::string_view text) : text_(text) {}

    bool next(std::string_view& line) {
        if (pos_ >= text_.size())
            return false;
        size_t eol = text_.find('\n', pos_);
        size_t end = eol == std::string_view::npos ? text_.size() : eol;
        line = text_.substr(pos_, end - pos_);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        pos_ = end + 1;
        return true;
    }

    size_t position() const { return pos_; }
    void seek(size_t pos) { pos_ = pos; }

private:
    std::string_view text_;
    size_t pos_ = 0;
};

// "begin 644 name" or "begin-base64 644 name": the mode is octal, the
// name is the rest of the line.
bool parse_begin(std::string_view line, bool& base64, std::string& name) {
    base64 = line.substr(0, 13) == "begin-base64 ";
    if (!base64 && line.substr(0, 6) != "begin ")
        return false;
    line.remove_prefix(base64 ? 13 : 6);
    line = trim_blanks(line);
    size_t digits = 0;
    while (digits < line.size() && line[digits] >= '0' && line[digits] <= '7')
        ++digits;
    if (digits == 0 || digits > 4 || digits == line.size() ||
        (line[digits] != ' ' && line[digits] != '\t'))
        return false;
    name = std::string(trim_blanks(line.substr(digits)));
    return !name.empty();
}

constexpr const char* base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

bool is_uu_line(std::string_view line) {
    for (unsigned char c : line) {
        if (c < 0x20 || c > 0x60)
            return false;
    }
    return true;
}

void decode_uu_line(std::string_view line, std::string& out) {
    size_t count = (static_cast<unsigned char>(line[0]) - 0x20) & 0x3f;
    line.remove_prefix(1);
    // Mailers strip trailing spaces, so a short line is padded; but never
    // beyond the line's own length, or "M" lines would inflate 45-fold.
    count = std::min(count, (line.size() + 3) / 4 * 3);
    auto sextet = [&](size_t i) -> unsigned {
        return i < line.size()
                   ? (static_cast<unsigned char>(line[i]) - 0x20) & 0x3f
                   : 0;
    };
    for (size_t i = 0, made = 0; made < count; i += 4) {
        unsigned bits = sextet(i) << 18 | sextet(i + 1) << 12 |
                        sextet(i + 2) << 6 | sextet(i + 3);
        for (int shift = 16; shift >= 0 && made < count; shift -= 8, ++made)
            out.push_back(static_cast<char>((bits >> shift) & 0xff));
    }
}

// Reads uuencoded lines up to `end`; returns true when data or an `end`
// line made this a real block rather than prose that starts with begin.
bool read_uu_body(Lines& lines, std::string& data) {
    std::string_view line;
    bool ended = false;
    for (size_t start = lines.position(); lines.next(line);
         start = lines.position()) {
        if (trim_blanks(line) == "end") {
            ended = true;
            break;
        }
        if (line.empty() || !is_uu_line(line)) {
            // Not data: let the outer scan see this line again.
            lines.seek(start);
            break;
        }
        if (((static_cast<unsigned char>(line[0]) - 0x20) & 0x3f) == 0)
            continue; // the zero-length line before `end`
        decode_uu_line(line, data);
    }
    return ended || !data.empty();
}

bool read_base64_body(Lines& lines, std::string& data) {
    std::string_view line;
    std::string encoded;
    bool ended = false;
    for (size_t start = lines.position(); lines.next(line);
         start = lines.position()) {
        if (trim_blanks(line) == "====") {
            ended = true;
            break;
        }
        if (line.find_first_not_of(base64_alphabet) != line.npos) {
            lines.seek(start);
            break;
        }
        encoded.append(line);
    }
    decode_base64(encoded, data);
    return ended || !data.empty();
}

// Returns the offset of the next line that starts with "begin" at or
// after pos, or npos.
size_t next_begin(std::string_view text, size_t pos) {
    if (pos == 0 && text.substr(0, 5) == "begin")
        return 0;
    // Searching from the byte before pos finds a line starting at pos.
    size_t from = pos == 0 ? 0 : pos - 1;
    if (from >= text.size())
        return std::string_view::npos;
    const void* hit =
        memmem(text.data() + from, text.size() - from, "\nbegin", 6);
    if (!hit)
        return std::string_view::npos;
    return static_cast<size_t>(static_cast<const char*>(hit) - text.data()) + 1;
}

} // namespace

bool may_hold_uuencoded(std::string_view text) {
    return next_begin(text, 0) != std::string_view::npos;
}

namespace {

// A decoded block and where it lies in the text.
struct Found {
    EmbeddedFile file;
    UuencodedBlock block;
};

// Only a real header (`begin`, a blank, an octal mode, a blank, a name)
// opens a block, and only one with data or an `end` line counts, so
// prose that starts with "begin" is never taken for one.
std::vector<Found> scan_blocks(std::string_view text, size_t max_files) {
    std::vector<Found> found;
    Lines lines(text);
    std::string_view line;
    size_t pos = 0;
    while (found.size() < max_files &&
           (pos = next_begin(text, pos)) != std::string_view::npos) {
        size_t begin = pos;
        lines.seek(pos);
        lines.next(line);
        pos = lines.position();
        bool base64 = false;
        EmbeddedFile file;
        if (!parse_begin(line, base64, file.name))
            continue;
        bool ok = base64 ? read_base64_body(lines, file.data)
                         : read_uu_body(lines, file.data);
        if (!ok)
            continue;
        pos = lines.position();
        found.push_back({std::move(file), {begin, pos}});
    }
    return found;
}

} // namespace

std::vector<EmbeddedFile> find_uuencoded(std::string_view text,
                                         size_t max_files) {
    std::vector<EmbeddedFile> files;
    for (Found& f : scan_blocks(text, max_files))
        files.push_back(std::move(f.file));
    return files;
}

std::vector<UuencodedBlock> locate_uuencoded(std::string_view text,
                                             size_t max_files) {
    std::vector<UuencodedBlock> blocks;
    for (const Found& f : scan_blocks(text, max_files))
        blocks.push_back(f.block);
    return blocks;
}

namespace {

// The start of the next line that opens with "=ybegin " at or after pos.
size_t next_ybegin(std::string_view text, size_t pos) {
    constexpr std::string_view mark = "=ybegin ";
    while (pos < text.size()) {
        size_t hit = text.find(mark, pos);
        if (hit == std::string_view::npos)
            return hit;
        if (hit == 0 || text[hit - 1] == '\n')
            return hit;
        pos = hit + 1;
    }
    return std::string_view::npos;
}

// yEnc writes each byte plus 42; a critical byte is escaped as '=' and
// the byte plus 64. Line ends are not data.
void decode_yenc_line(std::string_view line, std::string& data) {
    for (size_t i = 0; i < line.size(); ++i) {
        auto c = static_cast<unsigned char>(line[i]);
        if (c == '=' && i + 1 < line.size())
            c = static_cast<unsigned char>(
                static_cast<unsigned char>(line[++i]) - 64);
        data.push_back(static_cast<char>(static_cast<unsigned char>(c - 42)));
    }
}

} // namespace

bool may_hold_yenc(std::string_view text) {
    return next_ybegin(text, 0) != std::string_view::npos;
}

std::vector<EmbeddedFile> find_yenc(std::string_view text, size_t max_files) {
    std::vector<EmbeddedFile> files;
    size_t pos = 0;
    while (files.size() < max_files &&
           (pos = next_ybegin(text, pos)) != std::string_view::npos) {
        Lines lines(text);
        lines.seek(pos);
        std::string_view line;
        lines.next(line);
        EmbeddedFile file;
        // name= is the last key: the name runs to the end of the line.
        size_t name = line.find(" name=");
        if (name != std::string_view::npos)
            file.name = std::string(trim_blanks(line.substr(name + 6)));
        for (size_t start = lines.position(); lines.next(line);
             start = lines.position()) {
            if (line.starts_with("=ypart "))
                continue;
            if (line.starts_with("=yend"))
                break;
            if (line.starts_with("=ybegin ")) {
                lines.seek(start);
                break;
            }
            decode_yenc_line(line, file.data);
        }
        pos = std::max(lines.position(), pos + 1);
        if (!file.data.empty() || !file.name.empty())
            files.push_back(std::move(file));
    }
    return files;
}

} // namespace portcullis::mime
