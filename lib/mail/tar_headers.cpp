// Tar header blocks read from hostile bytes: each block's checksum is
// checked before a field of it is used, each size is bounded before it
// is skipped, and every step moves forward by at least one block, so a
// walk ends within the decompressed tar. The block layout is POSIX.1's
// ustar (pax utility, "ustar Interchange Format").
#include "mail/tar_headers.hpp"

#include <archive.h>

#include <algorithm>

namespace portcullis::attachment {

namespace {

constexpr size_t block_bytes = 512;

// Field offsets and sizes in a ustar header block.
constexpr size_t name_at = 0, name_bytes = 100;
constexpr size_t size_at = 124, size_bytes = 12;
constexpr size_t checksum_at = 148, checksum_bytes = 8;
constexpr size_t type_at = 156;
constexpr size_t magic_at = 257;
constexpr size_t prefix_at = 345, prefix_bytes = 155;

// A field's text ends at its first NUL or at the field's end.
std::string_view text_field(std::string_view block, size_t at, size_t bytes) {
    std::string_view field = block.substr(at, bytes);
    return field.substr(0, std::min(field.find('\0'), field.size()));
}

// An octal number, blanks before it, ended by anything else; or, when
// the first byte has its high bit set, a big-endian base-256 number (GNU
// and star), which only a negative number would start with 0xff.
std::optional<uint64_t> number_field(std::string_view field) {
    auto first = static_cast<unsigned char>(field.front());
    if (first & 0x80) {
        if (first == 0xff)
            return std::nullopt;
        uint64_t value = first & 0x7f;
        for (char c : field.substr(1)) {
            if (value >> 55)
                return std::nullopt;
            value = value << 8 | static_cast<unsigned char>(c);
        }
        return value;
    }
    size_t at = field.find_first_not_of(" \t");
    uint64_t value = 0;
    for (; at < field.size() && field[at] >= '0' && field[at] <= '7'; ++at) {
        if (value >> 60)
            return std::nullopt;
        value = value << 3 | static_cast<uint64_t>(field[at] - '0');
    }
    return value;
}

// The checksum sums the block with its own field read as blanks; old
// writers summed signed bytes, and readers accept either.
struct Sums {
    int64_t unsigned_sum = 0;
    int64_t signed_sum = 0;
};

Sums header_sums(std::string_view block) {
    Sums sums;
    for (size_t i = 0; i < block_bytes; ++i) {
        bool in_field = i >= checksum_at && i < checksum_at + checksum_bytes;
        char c = in_field ? ' ' : block[i];
        sums.unsigned_sum += static_cast<unsigned char>(c);
        sums.signed_sum += static_cast<signed char>(c);
    }
    return sums;
}

bool checksum_matches(std::string_view block) {
    auto stored =
        number_field(block.substr(checksum_at, checksum_bytes)).value_or(0);
    Sums sums = header_sums(block);
    return static_cast<int64_t>(stored) == sums.unsigned_sum ||
           static_cast<int64_t>(stored) == sums.signed_sum;
}

bool is_octal_digit(char c) {
    return c >= '0' && c <= '7';
}

// A number field every reader reads alike: blanks, octal digits, then
// blanks to the field's end or to a NUL, where every reader stops.
std::optional<uint64_t> plain_octal(std::string_view field) {
    field = field.substr(0, std::min(field.find('\0'), field.size()));
    size_t digits = field.find_first_not_of(' ');
    if (digits == std::string_view::npos || !is_octal_digit(field[digits]))
        return std::nullopt;
    size_t after = field.find_first_not_of("01234567", digits);
    if (after != std::string_view::npos &&
        field.find_first_not_of(' ', after) != std::string_view::npos)
        return std::nullopt;
    return number_field(field.substr(digits));
}

// libclamav reads a number field with sscanf's %o into an unsigned int:
// any blanks, a sign, octal digits up to the first other byte, the value
// kept modulo 2^32. No digit is no number.
std::optional<uint32_t> scanned_octal(std::string_view field) {
    size_t at = field.find_first_not_of(" \t\n\v\f\r");
    bool negative = at < field.size() && field[at] == '-';
    if (at < field.size() && (field[at] == '+' || field[at] == '-'))
        ++at;
    if (at >= field.size() || !is_octal_digit(field[at]))
        return std::nullopt;
    uint32_t value = 0;
    for (; at < field.size() && is_octal_digit(field[at]); ++at)
        value = value << 3 | static_cast<uint32_t>(field[at] - '0');
    return negative ? 0u - value : value;
}

// libclamav 1.4 ends a tar at a block that starts with a NUL and takes
// any other block whose checksum, as it reads the field, matches.
bool clamav_header(std::string_view block) {
    if (block[0] == '\0')
        return false;
    auto stored = scanned_octal(block.substr(checksum_at, checksum_bytes));
    if (!stored)
        return false;
    Sums sums = header_sums(block);
    return *stored == static_cast<uint32_t>(sums.unsigned_sum) ||
           *stored == static_cast<uint32_t>(sums.signed_sum);
}

bool is_end_block(std::string_view block) {
    return std::all_of(block.begin(), block.end(),
                       [](char c) { return c == '\0'; });
}

// The types libarchive reads as part of the member that follows: pax
// ('x', Sun's 'X', global 'g'), GNU long names ('L', 'K') and volume
// labels ('V'), and Solaris ACLs ('A').
bool is_extension_header(char type) {
    return std::string_view("xXgLKVA").find(type) != std::string_view::npos;
}

// POSIX joins a non-empty prefix and the name with a slash; the GNU
// format ("ustar  \0") keeps other fields where the prefix would be.
std::string ustar_name(std::string_view block) {
    std::string name(text_field(block, name_at, name_bytes));
    if (block.substr(magic_at, 6) != std::string_view("ustar\0", 6))
        return name;
    std::string_view prefix = text_field(block, prefix_at, prefix_bytes);
    return prefix.empty() ? name : std::string(prefix) + "/" + name;
}

// The size a plain header declares, or nullopt for a block that is no
// header or one readers may read otherwise. libclamav 1.4 holds a size
// in an int and takes a larger one for no size at all.
std::optional<uint64_t> plain_header_size(std::string_view block) {
    if (block[0] == '\0')
        return std::nullopt;
    auto stored = plain_octal(block.substr(checksum_at, checksum_bytes));
    if (!stored)
        return std::nullopt;
    Sums sums = header_sums(block);
    if (static_cast<int64_t>(*stored) != sums.unsigned_sum &&
        static_cast<int64_t>(*stored) != sums.signed_sum)
        return std::nullopt;
    auto size = plain_octal(block.substr(size_at, size_bytes));
    if (!size || *size > INT32_MAX)
        return std::nullopt;
    return size;
}

// How far the next header lies, or nullopt where libclamav 1.4 parts
// from other readers: it reads no data after a link, folder, device or
// volume header; it skips a block more after an extension header of no
// data; and it takes the sparse map blocks of a GNU sparse file for data.
std::optional<uint64_t> header_step(char type, uint64_t size) {
    bool no_data =
        std::string_view("123456V").find(type) != std::string_view::npos;
    bool skipped =
        std::string_view("KLNAEIgxX").find(type) != std::string_view::npos;
    if ((no_data && size != 0) || (skipped && size == 0) || type == 'S')
        return std::nullopt;
    return block_bytes + (size + block_bytes - 1) / block_bytes * block_bytes;
}

// Lists the member a header declares; false when max_members are
// listed already and this one is more.
bool add_member(TarMembers& out, std::string_view block, uint64_t size,
                size_t max_members) {
    if (is_extension_header(block[type_at]))
        return true;
    if (out.members.size() >= max_members) {
        out.more = true;
        return false;
    }
    out.members.push_back({ustar_name(block), size});
    return true;
}

// Follows the members from the start while each header is plain, and
// returns where a search for headers must take over, if it must.
std::optional<uint64_t> walk_in_order(std::string_view content,
                                      size_t max_members, TarMembers& out) {
    uint64_t at = 0;
    while (at + block_bytes <= content.size()) {
        std::string_view block = content.substr(at, block_bytes);
        auto size = plain_header_size(block);
        if (!size)
            return at;
        if (!add_member(out, block, *size, max_members))
            return std::nullopt;
        auto step = header_step(block[type_at], *size);
        if (!step)
            return at + block_bytes;
        at += *step;
    }
    return std::nullopt;
}

// Past the first block the walk could not place, libclamav may stand
// at any block, and past a bad one it tries the next: each block it
// would take for a header is a member.
void search_members(std::string_view content, uint64_t from, size_t max_members,
                    TarMembers& out) {
    for (uint64_t at = from; at + block_bytes <= content.size();
         at += block_bytes) {
        std::string_view block = content.substr(at, block_bytes);
        if (!clamav_header(block))
            continue;
        auto size = number_field(block.substr(size_at, size_bytes));
        if (!add_member(out, block, size.value_or(0), max_members))
            return;
    }
}

} // namespace

bool looks_like_tar(std::string_view content) {
    if (content.size() < block_bytes)
        return false;
    std::string_view first = content.substr(0, block_bytes);
    return first.substr(magic_at, 5) == "ustar" || clamav_header(first);
}

// The end of the archive does not end the listing: libclamav 1.4 stops
// there, but a reader that goes on past zero blocks (GNU tar's
// --ignore-zeros) finds what follows, and a later libclamav may too.
TarMembers read_tar_members(std::string_view content, size_t max_members) {
    TarMembers out;
    if (auto lost_at = walk_in_order(content, max_members, out))
        search_members(content, *lost_at, max_members, out);
    return out;
}

void TarHeaderReader::ArchiveFree::operator()(archive* reader) const {
    archive_read_free(reader);
}

// The raw format takes the bytes as they are, after the decompressors
// that archive_list lets libarchive run, all of them in process.
TarHeaderReader::TarHeaderReader(std::string_view content)
    : reader_(archive_read_new()) {
    archive_read_support_filter_gzip(reader_.get());
    archive_read_support_filter_bzip2(reader_.get());
    archive_read_support_filter_xz(reader_.get());
    archive_read_support_format_raw(reader_.get());
    archive_entry* item = nullptr;
    open_ = archive_read_open_memory(reader_.get(), content.data(),
                                     content.size()) == ARCHIVE_OK &&
            archive_read_next_header(reader_.get(), &item) >= ARCHIVE_WARN;
}

TarHeaderReader::~TarHeaderReader() = default;

// Makes the buffer hold at least bytes; false when the tar ends first.
bool TarHeaderReader::fill(size_t bytes) {
    char piece[16384];
    while (open_ && buffered_.size() < bytes) {
        la_ssize_t n = archive_read_data(reader_.get(), piece, sizeof piece);
        if (n <= 0) {
            open_ = false;
            break;
        }
        buffered_.append(piece, static_cast<size_t>(n));
    }
    return buffered_.size() >= bytes;
}

bool TarHeaderReader::skip(uint64_t bytes) {
    while (bytes > buffered_.size()) {
        bytes -= buffered_.size();
        position_ += buffered_.size();
        buffered_.clear();
        if (!fill(1))
            return false;
    }
    buffered_.erase(0, static_cast<size_t>(bytes));
    position_ += bytes;
    return true;
}

std::optional<TarNames> TarHeaderReader::names_at(uint64_t offset) {
    if (offset < position_ || !skip(offset - position_))
        return std::nullopt;
    TarNames names;
    for (int headers = 0; headers <= max_tar_extension_headers; ++headers) {
        if (!fill(block_bytes))
            return std::nullopt;
        std::string block = buffered_.substr(0, block_bytes);
        skip(block_bytes);
        if (is_end_block(block))
            return names;
        if (!checksum_matches(block))
            return std::nullopt;
        if (!is_extension_header(block[type_at])) {
            names.ustar = ustar_name(block);
            return names;
        }
        auto size = number_field(block.substr(size_at, size_bytes));
        if (!size || *size > max_tar_extension_bytes ||
            !skip((*size + block_bytes - 1) / block_bytes * block_bytes))
            return std::nullopt;
        names.extension_headers.emplace_back(
            text_field(block, name_at, name_bytes));
    }
    return std::nullopt;
}

} // namespace portcullis::attachment
