// The checks behind Inspection. ZIP directories are read with our own
// reader, which lists 80,000 members in a tenth of a second, where
// libclamav 1.4 takes time quadratic in the number of empty members.
#include "av_inspect.hpp"

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
// way some of it went unscanned.
bool Inspection::admit(std::string_view file, uint32_t depth) {
    if (depth > 0 && file.size() > whole_file_bytes_)
        note(max_file_size_name);
    if (!attachment::has_zip_directory(file))
        return true;
    return admit_zip(file);
}

// Every member counts against max_files, empty ones too, and an archive
// that breaks it is not unpacked at all: that work is what the limit
// spares. A member declared over max_file_bytes would be cut short;
// libclamav's own count of the bytes it unpacks stays in force.
// XXX: under max_files libclamav's time on empty members stays quadratic
// (some 6 s at the default 10,000), and only ZIP members are counted
// here: libclamav counts no empty or tiny file of a tar against the limit.
bool Inspection::admit_zip(std::string_view file) {
    uint64_t room =
        limits_.max_files > members_ ? limits_.max_files - members_ : 0;
    auto directory =
        attachment::read_zip_directory(file, static_cast<size_t>(room));
    members_ += directory.members.size();
    if (directory.more) {
        note(max_files_name);
        return false;
    }
    for (const attachment::ZipMember& member : directory.members) {
        declared_bytes_ = saturating_add(declared_bytes_, member.size);
        if (member.size > limits_.max_file_bytes)
            note(max_file_size_name);
    }
    if (declared_bytes_ > limits_.max_scan_bytes)
        note(max_scan_size_name);
    return true;
}

} // namespace portcullis::av
