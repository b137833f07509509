// The checks behind Inspection. ZIP directories and tar headers are read
// with our own readers, which list 80,000 members in a tenth of a second,
// where libclamav 1.4 may take time quadratic in the number of empty ZIP
// members and writes each tar member to a temporary file.
#include "av_inspect.hpp"

#include "mail/tar_headers.hpp"
#include "mail/zip_directory.hpp"

namespace portcullis::av {

namespace {

constexpr std::string_view max_files_name = "Portcullis.Limits.MaxFiles";
constexpr std::string_view max_file_size_name = "Portcullis.Limits.MaxFileSize";
constexpr std::string_view max_scan_size_name = "Portcullis.Limits.MaxScanSize";

// Declared sizes come from hostile bytes: a zip64 member may claim 2^64.
uint64_t saturating_add(uint64_t a, uint64_t b) {
    return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

} // namespace

void Inspection::note(std::string_view name) {
    if (limit_.empty())
        limit_ = name;
}

// An inner file larger than libclamav surely delivers whole may be the
// head of a member it cut short, or a whole file over our limit: either
// way some of it went unscanned. A file may be both a tar and a ZIP, and
// libclamav then unpacks both.
bool Inspection::admit(std::string_view file, uint32_t depth) {
    if (depth > 0 && file.size() > whole_file_bytes_)
        note(max_file_size_name);
    // libclamav writes every tar member out to a temporary file, empty
    // ones included, and counts only those of more than five bytes. A tar
    // inside gzip, bzip2 or xz comes here once libclamav decompressed it.
    if (attachment::looks_like_tar(file) &&
        !admit_members(attachment::read_tar_members(file, room())))
        return false;
    if (attachment::has_zip_directory(file) &&
        !admit_members(attachment::read_zip_directory(file, room())))
        return false;
    return true;
}

// Every member counts against max_files, empty ones too, and an archive
// that breaks it is not unpacked at all: that work is what the limit
// spares. A member declared over max_file_bytes would be cut short;
// libclamav's own count of the bytes it unpacks stays in force.
// XXX: under max_files libclamav 1.4 still takes time quadratic in the
// empty ZIP members that follow a multiple of 100 members with data,
// none included: for each, its list of members grows a block and is
// cleared past those listed (10,000 at an archive's start: 6 s). Only ZIP
// and tar members are counted here: of other archives (7z, RAR, CAB,
// cpio) libclamav counts no file of five bytes or less. A ZIP that ends
// within 64 KiB of a tar's end is counted at the tar's level as well.
template <class Listing>
bool Inspection::admit_members(const Listing& listing) {
    members_ += listing.members.size();
    if (listing.more) {
        note(max_files_name);
        return false;
    }
    for (const auto& member : listing.members)
        declare(member.size);
    check_declared_total();
    return true;
}

size_t Inspection::room() const {
    uint64_t room =
        limits_.max_files > members_ ? limits_.max_files - members_ : 0;
    return static_cast<size_t>(room);
}

void Inspection::declare(uint64_t member_bytes) {
    declared_bytes_ = saturating_add(declared_bytes_, member_bytes);
    if (member_bytes > limits_.max_file_bytes)
        note(max_file_size_name);
}

void Inspection::check_declared_total() {
    if (declared_bytes_ > limits_.max_scan_bytes)
        note(max_scan_size_name);
}

} // namespace portcullis::av
