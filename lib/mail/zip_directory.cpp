// The ZIP directory reader, written from PKWARE's APPNOTE. Every count,
// size and offset comes from hostile bytes: each is checked against the
// content before it is used, and every loop moves forward by at least
// one fixed-size record, so reading ends within the content's length.
#include "mail/zip_directory.hpp"

#include <algorithm>

namespace portcullis::attachment {

namespace {

constexpr uint32_t local_signature = 0x04034b50;
constexpr uint32_t central_signature = 0x02014b50;
constexpr uint32_t end_signature = 0x06054b50;
constexpr uint32_t end64_signature = 0x06064b50;
constexpr uint32_t locator64_signature = 0x07064b50;
constexpr uint32_t descriptor_signature = 0x08074b50;

constexpr size_t local_bytes = 30;
constexpr size_t central_bytes = 46;
constexpr size_t end_bytes = 22;
constexpr size_t end64_bytes = 56;
constexpr size_t locator64_bytes = 20;
constexpr size_t max_comment_bytes = 65535;

constexpr uint16_t zip64_extra = 0x0001;
constexpr uint16_t unicode_path_extra = 0x7075;
constexpr uint16_t flag_data_descriptor = 0x0008;

bool fits(std::string_view data, uint64_t at, uint64_t count) {
    return at <= data.size() && count <= data.size() - at;
}

// Reads a little-endian field the caller has checked with fits().
uint64_t le(std::string_view data, size_t at, size_t count) {
    uint64_t value = 0;
    for (size_t i = count; i-- > 0;)
        value = value << 8 | static_cast<unsigned char>(data[at + i]);
    return value;
}

uint16_t u16(std::string_view data, size_t at) {
    return static_cast<uint16_t>(le(data, at, 2));
}

uint32_t u32(std::string_view data, size_t at) {
    return static_cast<uint32_t>(le(data, at, 4));
}

bool signature_at(std::string_view data, uint64_t at, uint32_t signature) {
    return fits(data, at, 4) && u32(data, static_cast<size_t>(at)) == signature;
}

// Where the central directory sits, from the end record and, when a
// locator stands before it, the zip64 end record.
struct EndRecord {
    size_t at = 0; ///< where the directory ends: the first end record
    uint64_t entries = 0;
    uint64_t directory_bytes = 0;
    uint64_t directory_offset = 0;
    bool ends_content = false; ///< its comment runs to the last byte
};

// The last signature wins, as unzip and Python choose: a comment may
// hold bytes that look like an end record, the real one never follows.
size_t find_end_record(std::string_view content) {
    if (content.size() < end_bytes)
        return std::string_view::npos;
    size_t last = content.size() - end_bytes;
    size_t first = last > max_comment_bytes ? last - max_comment_bytes : 0;
    size_t found = content.substr(first, last - first + 4).rfind("PK\x05\x06");
    return found == std::string_view::npos ? found : first + found;
}

// The zip64 end record is taken from just before its locator, as Python
// takes it; its own offset field would need the same correction.
EndRecord read_end_record(std::string_view content, size_t at) {
    EndRecord end;
    end.at = at;
    end.entries = u16(content, at + 10);
    end.directory_bytes = u32(content, at + 12);
    end.directory_offset = u32(content, at + 16);
    end.ends_content = at + end_bytes + u16(content, at + 20) == content.size();
    if (at < locator64_bytes + end64_bytes ||
        !signature_at(content, at - locator64_bytes, locator64_signature))
        return end;
    size_t record = at - locator64_bytes - end64_bytes;
    if (!signature_at(content, record, end64_signature))
        return end;
    end.at = record;
    end.entries = le(content, record + 32, 8);
    end.directory_bytes = le(content, record + 40, 8);
    end.directory_offset = le(content, record + 48, 8);
    return end;
}

// Names compared with every run of non-ASCII bytes as one mark: a
// legacy code-page name and its UTF-8 Unicode Path differ in those bytes
// alone, while a different extension is always a difference.
std::string ascii_skeleton(std::string_view name) {
    std::string out;
    for (char c : name) {
        if (static_cast<unsigned char>(c) < 0x80)
            out += c;
        else if (out.empty() || out.back() != '\x80')
            out += '\x80';
    }
    return out;
}

void add_name(ZipMember& member, std::string_view name) {
    if (std::find(member.names.begin(), member.names.end(), name) !=
        member.names.end())
        return;
    if (!member.names.empty() &&
        ascii_skeleton(name) != ascii_skeleton(member.names.front()))
        member.names_differ = true;
    member.names.emplace_back(name);
}

// The fields of one header's extra block that we use.
struct Extras {
    std::string_view unicode_path;
    std::string_view zip64;
};

Extras read_extras(std::string_view extra) {
    Extras found;
    size_t at = 0;
    while (fits(extra, at, 4)) {
        uint16_t id = u16(extra, at);
        size_t length = u16(extra, at + 2);
        if (!fits(extra, at + 4, length))
            break;
        std::string_view field = extra.substr(at + 4, length);
        // Version 1, a CRC of the header name, then the UTF-8 name. The
        // CRC is not checked: libarchive uses the name without it.
        if (id == unicode_path_extra && length > 5 && field[0] == 1)
            found.unicode_path = field.substr(5);
        if (id == zip64_extra)
            found.zip64 = field;
        at += 4 + length;
    }
    return found;
}

// Replaces each 32-bit field saturated at 0xFFFFFFFF by the next 64-bit
// value of the zip64 extra field, in the order APPNOTE 4.5.3 gives.
void widen(std::string_view zip64, size_t& at, uint64_t& field) {
    if (field != 0xFFFFFFFF || !fits(zip64, at, 8))
        return;
    field = le(zip64, at, 8);
    at += 8;
}

// Where the directory starts and how many bytes precede the archive.
struct Placement {
    uint64_t start = 0;
    uint64_t prefix = 0;
    bool found = false;
};

// unzip's correction: the directory ends where the end record starts, so
// it begins directory_bytes earlier, and the difference from its stored
// offset is data before the archive that moves every stored offset. When
// no directory is there, the stored offset is tried as it stands. Four
// bytes that look like an end record turn up by chance in one binary file
// of some 65,000, so a directory counts only where its signature is, or,
// empty, where the end record is the last thing in the content.
Placement place_directory(std::string_view content, const EndRecord& end) {
    Placement place;
    if (end.entries == 0 && end.directory_bytes == 0 && end.ends_content) {
        place.start = end.at;
        place.found = true;
        return place;
    }
    if (end.directory_bytes <= end.at) {
        place.start = end.at - end.directory_bytes;
        if (place.start >= end.directory_offset &&
            signature_at(content, place.start, central_signature)) {
            place.prefix = place.start - end.directory_offset;
            place.found = true;
            return place;
        }
    }
    place.start = end.directory_offset;
    place.found = signature_at(content, place.start, central_signature);
    return place;
}

// Reads the local file header at `at` into the member: its names and
// where its data starts. Returns false when no header is there.
bool read_local_header(std::string_view content, uint64_t at,
                       ZipMember& member) {
    if (!signature_at(content, at, local_signature) ||
        !fits(content, at, local_bytes))
        return false;
    size_t header = static_cast<size_t>(at);
    size_t name_bytes = u16(content, header + 26);
    size_t extra_bytes = u16(content, header + 28);
    if (!fits(content, header + local_bytes, name_bytes + extra_bytes))
        return false;
    add_name(member, content.substr(header + local_bytes, name_bytes));
    Extras extras = read_extras(
        content.substr(header + local_bytes + name_bytes, extra_bytes));
    if (!extras.unicode_path.empty())
        add_name(member, extras.unicode_path);
    member.header_offset = header;
    member.data_offset = header + local_bytes + name_bytes + extra_bytes;
    return true;
}

// Reads one central directory entry at `at`; returns where the next one
// starts, or 0 when this one runs past the content.
size_t read_central_entry(std::string_view content, size_t at,
                          uint64_t& local_offset, ZipMember& member) {
    if (!fits(content, at, central_bytes))
        return 0;
    size_t name_bytes = u16(content, at + 28);
    size_t extra_bytes = u16(content, at + 30);
    size_t comment_bytes = u16(content, at + 32);
    if (!fits(content, at + central_bytes,
              name_bytes + extra_bytes + comment_bytes))
        return 0;
    member.flags = u16(content, at + 8);
    member.method = u16(content, at + 10);
    member.crc = u32(content, at + 16);
    member.compressed_size = u32(content, at + 20);
    member.size = u32(content, at + 24);
    local_offset = u32(content, at + 42);
    add_name(member, content.substr(at + central_bytes, name_bytes));
    Extras extras = read_extras(
        content.substr(at + central_bytes + name_bytes, extra_bytes));
    if (!extras.unicode_path.empty())
        add_name(member, extras.unicode_path);
    size_t wide = 0;
    widen(extras.zip64, wide, member.size);
    widen(extras.zip64, wide, member.compressed_size);
    widen(extras.zip64, wide, local_offset);
    return at + central_bytes + name_bytes + extra_bytes + comment_bytes;
}

// Reads the directory's entries from place.start: as many as the end
// record counts, and on while entries follow within the directory's
// stated size, since unzip trusts the one and Python the other.
void read_entries(std::string_view content, const EndRecord& end,
                  const Placement& place, size_t max_members,
                  ZipDirectory& directory) {
    size_t at = static_cast<size_t>(place.start);
    uint64_t directory_end = place.start + end.directory_bytes;
    for (uint64_t count = 0; count < end.entries || at < directory_end;
         ++count) {
        if (!signature_at(content, at, central_signature)) {
            if (count < end.entries)
                directory.error = "central directory is cut short";
            return;
        }
        if (directory.members.size() >= max_members) {
            directory.more = true;
            return;
        }
        ZipMember member;
        uint64_t local_offset = 0;
        size_t next = read_central_entry(content, at, local_offset, member);
        if (next == 0) {
            directory.error = "central directory entry runs past the end";
            return;
        }
        if (local_offset > content.size() ||
            !read_local_header(content, local_offset + place.prefix, member)) {
            directory.error = "file header missing";
            return;
        }
        if (!fits(content, member.data_offset, member.compressed_size)) {
            directory.error = "file data runs past the end";
            return;
        }
        directory.members.push_back(std::move(member));
        at = next;
    }
}

// Skips the data descriptor after a member's data; its size depends on
// an optional signature and on 32- or 64-bit sizes, so the length that
// leads to the next header is taken. Returns npos when none does.
size_t skip_descriptor(std::string_view content, size_t at) {
    if (signature_at(content, at, descriptor_signature))
        at += 4;
    for (size_t length : {12, 20}) {
        if (signature_at(content, at + length, local_signature) ||
            signature_at(content, at + length, central_signature))
            return at + length;
    }
    return std::string_view::npos;
}

// Adds the file header at `at`, which the directory does not list.
// Returns false when the walk cannot step past it: no header is there,
// or its sizes follow its data, where only a decompressor finds them
// (the member is added with its names and no data).
bool add_unlisted(std::string_view content, size_t at,
                  ZipDirectory& directory) {
    ZipMember found;
    if (!read_local_header(content, at, found))
        return false;
    found.listed = false;
    found.names_differ = true;
    found.flags = u16(content, at + 6);
    found.method = u16(content, at + 8);
    found.crc = u32(content, at + 14);
    found.compressed_size = u32(content, at + 18);
    found.size = u32(content, at + 22);
    bool sized = !(found.flags & flag_data_descriptor) &&
                 fits(content, found.data_offset, found.compressed_size);
    if (!sized) {
        found.compressed_size = 0;
        found.size = 0;
    }
    directory.members.push_back(std::move(found));
    return sized;
}

// A streaming reader (Java's ZipInputStream, libarchive's) reads file
// headers one after the other from the start and never sees the
// directory, so a header the directory does not list is a file only such
// readers extract: it is added, unlisted, and its names judged too. The
// walk starts at the first byte when a header is there, else at the
// first listed header: a header inside data before the archive may be a
// member of some other archive that holds this one.
void find_unlisted(std::string_view content, size_t directory_start,
                   size_t max_members, ZipDirectory& directory) {
    std::vector<std::pair<size_t, size_t>> listed; // header offset, index
    for (size_t i = 0; i < directory.members.size(); ++i)
        listed.emplace_back(directory.members[i].header_offset, i);
    std::sort(listed.begin(), listed.end());
    size_t at = 0;
    if (!signature_at(content, 0, local_signature) && !listed.empty())
        at = listed.front().first;
    while (at < directory_start && signature_at(content, at, local_signature)) {
        auto hit = std::lower_bound(listed.begin(), listed.end(),
                                    std::make_pair(at, size_t{0}));
        const ZipMember* member = nullptr;
        if (hit != listed.end() && hit->first == at) {
            member = &directory.members[hit->second];
        } else {
            if (directory.members.size() >= max_members) {
                directory.more = true;
                return;
            }
            if (!add_unlisted(content, at, directory))
                return;
            member = &directory.members.back();
        }
        size_t next =
            static_cast<size_t>(member->data_offset + member->compressed_size);
        if (member->flags & flag_data_descriptor)
            next = skip_descriptor(content, next);
        if (next == std::string_view::npos || next <= at)
            return;
        at = next;
    }
}

} // namespace

bool has_zip_directory(std::string_view content) {
    size_t at = find_end_record(content);
    return at != std::string_view::npos &&
           place_directory(content, read_end_record(content, at)).found;
}

ZipDirectory read_zip_directory(std::string_view content, size_t max_members) {
    ZipDirectory directory;
    size_t at = find_end_record(content);
    if (at == std::string_view::npos) {
        directory.error = "no zip end record";
        return directory;
    }
    EndRecord end = read_end_record(content, at);
    Placement place = place_directory(content, end);
    if (!place.found) {
        directory.error = "central directory not found";
        return directory;
    }
    directory.prefix_bytes = static_cast<size_t>(place.prefix);
    read_entries(content, end, place, max_members, directory);
    if (directory.error.empty() && !directory.more)
        find_unlisted(content, static_cast<size_t>(place.start), max_members,
                      directory);
    return directory;
}

} // namespace portcullis::attachment
