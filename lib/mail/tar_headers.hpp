// Tar header blocks read from the raw bytes. libarchive names a member by
// its pax or GNU long-name header; an extractor that ignores such headers
// names it by its ustar header and writes each header it ignores out as a
// file (POSIX reads an unknown type as a regular file). libclamav finds
// members block by block; each one it may unpack is listed here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct archive;

namespace portcullis::attachment {

/// The names the header blocks at one place in a tar give.
struct TarNames {
    /// The names of the extension headers (pax, GNU long name, Solaris)
    /// before the member's own header, in order.
    std::vector<std::string> extension_headers;
    /// The member's ustar name, prefix and name joined as POSIX joins
    /// them; nullopt when the archive's end follows the extension headers.
    std::optional<std::string> ustar;
};

/// The most extension headers read before one member's own header.
inline constexpr int max_tar_extension_headers = 32;

/// The largest extension header body read; libarchive refuses longer.
inline constexpr uint64_t max_tar_extension_bytes = 1u << 20;

/// One member of a plain tar, as its own header block declares it.
struct TarMember {
    std::string name;  ///< the ustar name, prefix and name joined
    uint64_t size = 0; ///< the data size the header declares
};

/// The members of a plain tar and how the walk over them ended.
struct TarMembers {
    std::vector<TarMember> members;
    bool more = false; ///< stopped at max_members with more to read
};

/// Returns true when libclamav may unpack content as a tar: its first
/// block holds the ustar magic or passes libclamav's header checksum.
bool looks_like_tar(std::string_view content);

/// Lists the members of a plain tar, at most max_members, extension
/// headers left out, so that libclamav 1.4 unpacks no member that is not
/// listed. The walk follows the members while each header is plain;
/// from the first block where readers may part (a bad checksum, an odd
/// field, the end) it takes every block libclamav would take for a
/// header, as libclamav itself tries block after block.
TarMembers read_tar_members(std::string_view content, size_t max_members);

/// Reads the header blocks of a tar, plain or compressed with gzip, bzip2
/// or xz, forward from its start, at the offsets libarchive's
/// archive_read_header_position() gives in the decompressed tar. The
/// content is not copied and must outlive the reader.
class TarHeaderReader {
public:
    explicit TarHeaderReader(std::string_view content);
    ~TarHeaderReader();
    TarHeaderReader(const TarHeaderReader&) = delete;
    TarHeaderReader& operator=(const TarHeaderReader&) = delete;

    /// Returns the names in the header blocks that start at offset, up to
    /// and including the member's own header; nullopt when a block there
    /// is no valid tar header, the bytes end, offset lies before what an
    /// earlier call read, or a limit above is passed.
    std::optional<TarNames> names_at(uint64_t offset);

private:
    struct ArchiveFree {
        void operator()(archive* reader) const;
    };

    bool fill(size_t bytes);
    bool skip(uint64_t bytes);

    std::unique_ptr<archive, ArchiveFree> reader_;
    bool open_ = false;
    uint64_t position_ = 0; ///< decompressed bytes consumed
    std::string buffered_;  ///< decompressed, read but not consumed
};

} // namespace portcullis::attachment
