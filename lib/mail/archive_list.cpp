// Archive listings, read from memory only; nothing is ever written to
// disk. A ZIP archive is read through its own directory (zip_directory)
// so every name an extractor may use is judged; other formats go through
// libarchive, limited to the formats and decompressors we list, all of
// them in process.
#include "core/strings.hpp"
#include "mail/attachment_type.hpp"
#include "mail/filename.hpp"
#include "mail/header_edit.hpp"
#include "mail/mime.hpp"
#include "mail/tar_headers.hpp"
#include "mail/tnef.hpp"
#include "mail/zip_directory.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <unordered_set>

namespace portcullis::attachment {

namespace {

struct ArchiveFree {
    void operator()(archive* a) const { archive_read_free(a); }
};

using ArchiveReader = std::unique_ptr<archive, ArchiveFree>;

struct ListState {
    const ArchiveLimits& limits;
    Listing& listing;
    size_t total_bytes = 0;
};

void list_level(ListState& state, std::string_view content,
                const std::string& prefix, int depth);

std::string error_text(archive* reader, const char* fallback) {
    const char* why = archive_error_string(reader);
    return why ? why : fallback;
}

// An entry that cannot be read (damaged, or packed by a method we cannot
// undo) is listed by name, but what it holds was never judged.
void note_unreadable(ListState& state, archive* reader) {
    if (state.listing.error.empty())
        state.listing.error = error_text(reader, "entry cannot be read");
}

// Reads an entry's bytes up to the limits; false when a limit stopped it.
bool read_entry(ListState& state, archive* reader, std::string& data) {
    char buffer[16384];
    for (;;) {
        la_ssize_t n = archive_read_data(reader, buffer, sizeof buffer);
        if (n == 0)
            return true;
        if (n < 0) {
            note_unreadable(state, reader);
            return true;
        }
        if (data.size() + n > state.limits.max_entry_bytes) {
            state.listing.limit = "max_entry_bytes";
            return false;
        }
        if (state.total_bytes + n > state.limits.max_total_bytes) {
            state.listing.limit = "max_total_bytes";
            return false;
        }
        state.total_bytes += static_cast<size_t>(n);
        data.append(buffer, static_cast<size_t>(n));
    }
}

// A TNEF file, or a message saved as .eml: mail readers open either and
// show the files inside, which an archive listing does not reach.
bool opens_with_files(std::string_view data,
                      const std::vector<std::string>& names) {
    if (mime::is_tnef(data))
        return true;
    return mail::starts_with_header(mime::saved_message_start(data)) &&
           std::any_of(names.begin(), names.end(), [](const std::string& n) {
               return mime::final_extension(n) == "eml";
           });
}

// Lists an entry whose bytes were read, and the archive it may be.
void add_entry(ListState& state, Entry entry, const std::string* data,
               bool complete) {
    if (data)
        entry.true_type = true_type(*data);
    state.listing.encrypted = state.listing.encrypted || entry.encrypted;
    state.listing.entries.push_back(entry);
    if (data && opens_with_files(*data, entry.names))
        state.listing.container_unlisted = true;
    if (!data || !complete || !is_archive(*data, entry.true_type, entry.names))
        return;
    if (entry.depth >= state.limits.max_depth) {
        state.listing.limit = "max_depth";
        return;
    }
    list_level(state, *data, entry.path, entry.depth + 1);
}

std::string entry_name(archive_entry* item) {
    const char* path = archive_entry_pathname_utf8(item);
    if (!path)
        path = archive_entry_pathname(item);
    return path ? path : "";
}

void add_name(Entry& entry, std::string name) {
    if (!name.empty() && std::find(entry.names.begin(), entry.names.end(),
                                   name) == entry.names.end())
        entry.names.push_back(std::move(name));
}

// A tar member is named by libarchive from its pax or GNU long-name
// header; the names in its raw header blocks (tar_headers.hpp) are those
// an extractor that ignores such headers uses, and are judged too.
// Names that differ are no finding here: pax headers exist to carry
// names a ustar header cannot hold, long or not ASCII.
void add_tar_names(ListState& state, archive* reader, TarHeaderReader& headers,
                   Entry& entry) {
    auto names = headers.names_at(
        static_cast<uint64_t>(archive_read_header_position(reader)));
    if (!names || !names->ustar) {
        if (state.listing.error.empty())
            state.listing.error = "tar header blocks cannot be read";
        return;
    }
    add_name(entry, *names->ustar);
    for (std::string& name : names->extension_headers)
        add_name(entry, std::move(name));
}

bool is_tar(archive* reader) {
    return (archive_format(reader) & ARCHIVE_FORMAT_BASE_MASK) ==
           ARCHIVE_FORMAT_TAR;
}

void add_libarchive_entry(ListState& state, archive* reader,
                          archive_entry* item, const std::string& prefix,
                          int depth, TarHeaderReader* tar_headers) {
    Entry entry;
    entry.names.push_back(entry_name(item));
    entry.path = prefix + "/" + entry.names[0];
    entry.size = static_cast<uint64_t>(archive_entry_size(item));
    entry.depth = depth;
    entry.encrypted = archive_entry_is_encrypted(item);
    if (tar_headers)
        add_tar_names(state, reader, *tar_headers, entry);
    if (entry.encrypted || archive_entry_filetype(item) != AE_IFREG)
        return add_entry(state, std::move(entry), nullptr, true);
    std::string data;
    bool complete = read_entry(state, reader, data);
    add_entry(state, std::move(entry), &data, complete);
}

// One ZIP member framed as an archive of its own: a file header written
// from the directory's fields, then its compressed bytes where they lie.
// libarchive's streaming reader decompresses it by any method it knows,
// never seeing the rest of the archive, whose names we have read.
struct MemberFrame {
    std::string header;
    std::string_view data;
    int next = 0;
};

la_ssize_t read_frame(archive*, void* opaque, const void** buffer) {
    auto* frame = static_cast<MemberFrame*>(opaque);
    switch (frame->next++) {
    case 0:
        *buffer = frame->header.data();
        return static_cast<la_ssize_t>(frame->header.size());
    case 1:
        *buffer = frame->data.data();
        return static_cast<la_ssize_t>(frame->data.size());
    default:
        return 0;
    }
}

void put_le(std::string& out, uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i, value >>= 8)
        out += static_cast<char>(value & 0xFF);
}

// The data descriptor flag is cleared: the sizes come from the directory.
std::string member_header(const ZipMember& member) {
    bool wide =
        member.size >= 0xFFFFFFFF || member.compressed_size >= 0xFFFFFFFF;
    std::string header;
    put_le(header, 0x04034b50, 4);
    put_le(header, wide ? 45 : 20, 2);
    put_le(header, member.flags & ~0x0008u, 2);
    put_le(header, member.method, 2);
    put_le(header, 0, 4); // time and date
    put_le(header, member.crc, 4);
    put_le(header, wide ? 0xFFFFFFFF : member.compressed_size, 4);
    put_le(header, wide ? 0xFFFFFFFF : member.size, 4);
    put_le(header, 1, 2);             // name length
    put_le(header, wide ? 20 : 0, 2); // extra length
    header += 'm';
    if (wide) {
        put_le(header, 0x0001, 2);
        put_le(header, 16, 2);
        put_le(header, member.size, 8);
        put_le(header, member.compressed_size, 8);
    }
    return header;
}

bool read_zip_member(ListState& state, std::string_view content,
                     const ZipMember& member, std::string& data) {
    MemberFrame frame{
        member_header(member),
        content.substr(member.data_offset, member.compressed_size)};
    ArchiveReader reader(archive_read_new());
    archive_read_support_format_zip_streamable(reader.get());
    archive_entry* item = nullptr;
    if (archive_read_open(reader.get(), &frame, nullptr, read_frame, nullptr) !=
            ARCHIVE_OK ||
        archive_read_next_header(reader.get(), &item) < ARCHIVE_WARN) {
        note_unreadable(state, reader.get());
        return true;
    }
    return read_entry(state, reader.get(), data);
}

bool is_directory_name(std::string_view name) {
    return !name.empty() && (name.back() == '/' || name.back() == '\\');
}

void list_zip(ListState& state, std::string_view content,
              const std::string& prefix, int depth) {
    size_t listed = state.listing.entries.size();
    size_t room = state.limits.max_entries > listed
                      ? state.limits.max_entries - listed
                      : 0;
    ZipDirectory directory = read_zip_directory(content, room);
    for (const ZipMember& member : directory.members) {
        // A nested archive may have filled the listing.
        if (state.listing.entries.size() >= state.limits.max_entries) {
            state.listing.limit = "max_entries";
            return;
        }
        Entry entry;
        entry.names = member.names;
        entry.path = prefix + "/" + entry.names[0];
        entry.size = member.size;
        entry.depth = depth;
        entry.encrypted = member.encrypted();
        state.listing.names_differ =
            state.listing.names_differ || member.names_differ;
        if (entry.encrypted ||
            std::all_of(entry.names.begin(), entry.names.end(),
                        is_directory_name)) {
            add_entry(state, std::move(entry), nullptr, true);
            continue;
        }
        std::string data;
        bool complete = read_zip_member(state, content, member, data);
        add_entry(state, std::move(entry), &data, complete);
        if (!state.listing.limit.empty())
            return;
    }
    if (directory.more)
        state.listing.limit = "max_entries";
    if (!directory.error.empty() && state.listing.error.empty())
        state.listing.error = directory.error;
}

// The formats is_archive_type names, never mtree (it reads plain text
// as a list of file names) nor raw (it takes any bytes); and only the
// decompressors that run in process: filter_all may start programs such
// as lrzip on hostile data.
void support_filters(archive* reader) {
    archive_read_support_filter_gzip(reader);
    archive_read_support_filter_bzip2(reader);
    archive_read_support_filter_xz(reader);
}

void support_formats(archive* reader, bool with_zip) {
    support_filters(reader);
    archive_read_support_format_tar(reader);
    archive_read_support_format_cpio(reader);
    archive_read_support_format_ar(reader);
    archive_read_support_format_7zip(reader);
    archive_read_support_format_rar(reader);
    archive_read_support_format_rar5(reader);
    archive_read_support_format_cab(reader);
    archive_read_support_format_iso9660(reader);
    archive_read_support_format_lha(reader);
    if (with_zip)
        archive_read_support_format_zip_streamable(reader);
}

// What a libarchive reading found: how many entries, why it stopped.
struct Reading {
    size_t entries = 0;
    std::string error;
};

// Lists an entry known by its name alone; false when max_entries is
// reached, which the listing then says.
bool add_name_only(ListState& state, const std::string& name,
                   const std::string& prefix, int depth) {
    if (state.listing.entries.size() >= state.limits.max_entries) {
        state.listing.limit = "max_entries";
        return false;
    }
    Entry entry;
    entry.names.push_back(name);
    entry.path = prefix + "/" + name;
    entry.depth = depth;
    state.listing.entries.push_back(std::move(entry));
    return true;
}

// An ISO 9660 image names each file up to three times: Rock Ridge, which
// libarchive prefers; Joliet, which Windows and 7-Zip show; and the
// primary 8.3 name. The two other readings add each name not yet listed
// as an entry judged by its name alone.
// XXX: the UDF names of a UDF bridge image, which Windows mounts by, are
// never read (libarchive has no UDF reader); the default policy rejects
// .iso and .img by name, so only a renamed image opened in 7-Zip bites.
void add_other_iso_names(ListState& state, std::string_view content,
                         const std::string& prefix, int depth, size_t first) {
    std::unordered_set<std::string> listed;
    for (size_t i = first; i < state.listing.entries.size(); ++i) {
        for (const std::string& name : state.listing.entries[i].names)
            listed.insert(ascii_lower(name));
    }
    for (const char* options :
         {"iso9660:!rockridge", "iso9660:!rockridge,!joliet"}) {
        ArchiveReader reader(archive_read_new());
        support_filters(reader.get());
        archive_read_support_format_iso9660(reader.get());
        if (archive_read_set_options(reader.get(), options) != ARCHIVE_OK ||
            archive_read_open_memory(reader.get(), content.data(),
                                     content.size()) != ARCHIVE_OK)
            continue;
        archive_entry* item = nullptr;
        while (archive_read_next_header(reader.get(), &item) >= ARCHIVE_WARN) {
            std::string name = entry_name(item);
            if (name.empty() || !listed.insert(ascii_lower(name)).second)
                continue;
            if (!add_name_only(state, name, prefix, depth))
                return;
        }
    }
}

// Extension headers after a tar's last member are files to an extractor
// that ignores them; they are judged by their names alone.
void add_trailing_tar_names(ListState& state, archive* reader,
                            TarHeaderReader& headers, const std::string& prefix,
                            int depth) {
    auto names = headers.names_at(
        static_cast<uint64_t>(archive_read_header_position(reader)));
    if (!names)
        return;
    for (const std::string& name : names->extension_headers) {
        if (!add_name_only(state, name, prefix, depth))
            return;
    }
}

Reading list_libarchive(ListState& state, std::string_view content,
                        const std::string& prefix, int depth, bool with_zip) {
    Reading reading;
    size_t first = state.listing.entries.size();
    ArchiveReader reader(archive_read_new());
    support_formats(reader.get(), with_zip);
    if (archive_read_open_memory(reader.get(), content.data(),
                                 content.size()) != ARCHIVE_OK) {
        reading.error = error_text(reader.get(), "unreadable archive");
        return reading;
    }
    std::optional<TarHeaderReader> tar_headers;
    archive_entry* item = nullptr;
    for (;;) {
        int status = archive_read_next_header(reader.get(), &item);
        if (!tar_headers && status >= ARCHIVE_WARN && is_tar(reader.get()))
            tar_headers.emplace(content);
        if (status == ARCHIVE_EOF) {
            int format = archive_format(reader.get());
            if ((format & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ISO9660)
                add_other_iso_names(state, content, prefix, depth, first);
            if (tar_headers)
                add_trailing_tar_names(state, reader.get(), *tar_headers,
                                       prefix, depth);
            return reading;
        }
        if (status < ARCHIVE_WARN) {
            reading.error = error_text(reader.get(), "damaged archive");
            return reading;
        }
        if (state.listing.entries.size() >= state.limits.max_entries) {
            state.listing.limit = "max_entries";
            return reading;
        }
        ++reading.entries;
        add_libarchive_entry(state, reader.get(), item, prefix, depth,
                             tar_headers ? &*tar_headers : nullptr);
        if (!state.listing.limit.empty())
            return reading;
    }
}

bool is_compressed_file(std::string_view content) {
    return content.starts_with("\x1f\x8b") || content.starts_with("BZh") ||
           content.starts_with("\xfd"
                               "7zXZ");
}

// The name gunzip -N and 7-Zip give a gzip file's content: FNAME in the
// header (RFC 1952, 2.3.1), ISO 8859-1 up to a zero byte.
std::string gzip_stored_name(std::string_view content) {
    if (content.size() < 10 || !content.starts_with("\x1f\x8b"))
        return "";
    auto flags = static_cast<unsigned char>(content[3]);
    size_t at = 10;
    if (flags & 0x04) {
        if (content.size() < at + 2)
            return "";
        at += 2 + (static_cast<unsigned char>(content[at]) |
                   static_cast<unsigned char>(content[at + 1]) << 8);
    }
    size_t end =
        at < content.size() ? content.find('\0', at) : std::string_view::npos;
    if (!(flags & 0x08) || end == std::string_view::npos)
        return "";
    std::string name;
    for (char c : content.substr(at, end - at))
        append_utf8(name, static_cast<unsigned char>(c));
    return name;
}

// The name gunzip, bunzip2 and unxz give by dropping the suffix.
std::string name_from_suffix(std::string_view name) {
    size_t slash = name.find_last_of("/\\");
    if (slash != std::string_view::npos)
        name.remove_prefix(slash + 1);
    size_t dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0)
        return "";
    std::string suffix = ascii_lower(name.substr(dot + 1));
    std::string stem(name.substr(0, dot));
    for (std::string_view dropped : {"gz", "z", "bz2", "bz", "xz", "lzma"}) {
        if (suffix == dropped)
            return stem;
    }
    for (std::string_view tar : {"tgz", "taz", "tbz", "tbz2", "txz"}) {
        if (suffix == tar)
            return stem + ".tar";
    }
    return "";
}

// A compressed file that holds no archive (notes.txt.gz) is one file,
// named by its suffix or by the name stored in it: both are judged.
void list_compressed_file(ListState& state, std::string_view content,
                          const std::string& prefix, int depth) {
    ArchiveReader reader(archive_read_new());
    archive_read_support_filter_gzip(reader.get());
    archive_read_support_filter_bzip2(reader.get());
    archive_read_support_filter_xz(reader.get());
    archive_read_support_format_raw(reader.get());
    archive_entry* item = nullptr;
    if (archive_read_open_memory(reader.get(), content.data(),
                                 content.size()) != ARCHIVE_OK ||
        archive_read_next_header(reader.get(), &item) < ARCHIVE_WARN) {
        state.listing.error = error_text(reader.get(), "unreadable file");
        return;
    }
    Entry entry;
    for (std::string name :
         {gzip_stored_name(content), name_from_suffix(prefix)}) {
        if (!name.empty() && std::find(entry.names.begin(), entry.names.end(),
                                       name) == entry.names.end())
            entry.names.push_back(name);
    }
    if (entry.names.empty())
        entry.names.push_back("data");
    entry.path = prefix + "/" + entry.names[0];
    entry.depth = depth;
    std::string data;
    bool complete = read_entry(state, reader.get(), data);
    entry.size = data.size();
    add_entry(state, std::move(entry), &data, complete);
}

// Office and OpenDocument files are ZIP archives their own application
// opens, so under such a name they are judged as documents. Bytes
// before the archive make them something else, listed as an archive.
bool opened_as_document(std::string_view content,
                        const std::vector<std::string>& names) {
    static const std::string_view documents[] = {
        "docx", "docm", "dotx", "dotm", "xlsx", "xlsm", "xltx", "xltm",
        "xlsb", "xlam", "pptx", "pptm", "potx", "potm", "ppsx", "ppsm",
        "ppam", "vsdx", "vsdm", "odt",  "ott",  "ods",  "ots",  "odp",
        "otp",  "odg",  "otg",  "odf",  "odb",  "epub"};
    auto document = [](const std::string& name) {
        std::string ext = examine_name(name).extension;
        return std::find(std::begin(documents), std::end(documents), ext) !=
               std::end(documents);
    };
    return content.starts_with("PK\x03\x04") && !names.empty() &&
           std::all_of(names.begin(), names.end(), document);
}

// 7-Zip and unrar look past a self-extractor stub, or any other bytes,
// for the signature of a 7z or RAR archive; libarchive looks only at the
// start, and past an MZ stub for some formats. Returns where the first
// such signature after the first byte starts, or npos.
size_t embedded_archive(std::string_view content) {
    static constexpr std::string_view signatures[] = {
        {"7z\xbc\xaf\x27\x1c", 6},
        {"Rar!\x1a\x07\x00", 7},
        {"Rar!\x1a\x07\x01\x00", 8}};
    size_t first = std::string_view::npos;
    for (std::string_view signature : signatures)
        first = std::min(first, content.find(signature, 1));
    return first;
}

bool has_zip_name(std::string_view path) {
    std::string ext = examine_name(path).extension;
    return ext == "zip" || ext == "jar";
}

void list_level(ListState& state, std::string_view content,
                const std::string& prefix, int depth) {
    bool zip = has_zip_directory(content);
    Reading other = list_libarchive(state, content, prefix, depth, !zip);
    if (!state.listing.limit.empty())
        return;
    // unzip finds a ZIP directory at the end of anything, even a tar whose
    // last file is a ZIP; but a tar or a 7z archive is opened by its own
    // extractor, unless its name sends it to a ZIP one.
    bool unzipped = other.entries == 0 || content.starts_with("PK\x03\x04") ||
                    has_zip_name(prefix);
    if (zip && unzipped)
        list_zip(state, content, prefix, depth);
    if (other.error.empty() || (zip && other.entries == 0))
        return;
    if (other.entries == 0 && is_compressed_file(content))
        return list_compressed_file(state, content, prefix, depth);
    // Read once from the signature, never searched again: a search in
    // what follows could go on signature after signature.
    size_t start =
        other.entries == 0 ? embedded_archive(content) : std::string_view::npos;
    if (start != std::string_view::npos) {
        other =
            list_libarchive(state, content.substr(start), prefix, depth, false);
        if (other.error.empty())
            return;
    }
    if (state.listing.error.empty())
        state.listing.error = other.error;
}

} // namespace

bool is_archive(std::string_view content, std::string_view type,
                const std::vector<std::string>& names) {
    if (is_archive_type(type) ||
        embedded_archive(content) != std::string_view::npos)
        return true;
    return has_zip_directory(content) && !opened_as_document(content, names);
}

Listing list_archive(std::string_view content, std::string_view name,
                     const ArchiveLimits& limits) {
    Listing listing;
    ListState state{limits, listing};
    list_level(state, content, std::string(name), 1);
    return listing;
}

} // namespace portcullis::attachment
