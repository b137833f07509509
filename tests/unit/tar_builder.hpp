// Tar archives for the tests, block by block: ustar header blocks with a
// valid checksum, member data padded to whole blocks, extension headers
// and the end blocks, each put together as a test needs it bent.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace portcullis::test {

/// Returns a header block with its checksum set to match its bytes.
inline std::string tar_checksummed(std::string header) {
    header.replace(148, 8, "        ");
    unsigned sum = 0;
    for (char c : header)
        sum += static_cast<unsigned char>(c);
    header.replace(148, 8, fmt::format("{:06o}", sum) + '\0' + ' ');
    return header;
}

/// Returns one ustar header block whose checksum matches its bytes.
inline std::string tar_block(std::string_view name, size_t size, char type,
                             std::string_view prefix = "") {
    std::string header(512, '\0');
    header.replace(0, std::min<size_t>(name.size(), 100), name.substr(0, 100));
    header.replace(100, 8, "0000644", 8);
    header.replace(124, 12, fmt::format("{:011o}", size) + '\0');
    header[156] = type;
    header.replace(257, 8,
                   std::string("ustar\0"
                               "00",
                               8));
    header.replace(345, prefix.size(), prefix);
    return tar_checksummed(header);
}

/// Returns data padded with NULs to a whole number of blocks.
inline std::string tar_padded(std::string data) {
    data.resize((data.size() + 511) / 512 * 512, '\0');
    return data;
}

/// Returns a regular file member: its header, then its padded data.
inline std::string tar_file(std::string_view name, std::string data,
                            std::string_view prefix = "") {
    return tar_block(name, data.size(), '0', prefix) + tar_padded(data);
}

/// Returns an extension header (pax, GNU long name) and its body.
inline std::string tar_extension(std::string_view name, char type,
                                 std::string body) {
    return tar_block(name, body.size(), type) + tar_padded(body);
}

/// Returns the two zero blocks that end an archive.
inline std::string tar_end() {
    return std::string(1024, '\0');
}

} // namespace portcullis::test
