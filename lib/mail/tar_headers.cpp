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
bool checksum_matches(std::string_view block) {
    auto stored =
        number_field(block.substr(checksum_at, checksum_bytes)).value_or(0);
    int64_t unsigned_sum = 0, signed_sum = 0;
    for (size_t i = 0; i < block_bytes; ++i) {
        bool in_field = i >= checksum_at && i < checksum_at + checksum_bytes;
        char c = in_field ? ' ' : block[i];
        unsigned_sum += static_cast<unsigned char>(c);
        signed_sum += static_cast<signed char>(c);
    }
    return static_cast<int64_t>(stored) == unsigned_sum ||
           static_cast<int64_t>(stored) == signed_sum;
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

} // namespace

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
