// True types, names and archive listings. The magic cookie is opened once
// and kept: loading the database costs far more than a lookup. Archives
// are read from memory only; nothing is ever written to disk.
#include "mail/attachment_type.hpp"
#include "mail/unicode_marks.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <magic.h>

#include <algorithm>
#include <memory>
#include <mutex>

namespace portcullis::attachment {

namespace {

std::string lower_ascii(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

// Characters that change how a name is shown but not what it is (see
// mail/unicode_marks.hpp); returns their length and notes a bidi control.
size_t invisible_length(std::string_view text, size_t i, NameInfo& info) {
    size_t length = mail::invisible_length(text, i);
    if (length == 0)
        return 0;
    if (mail::is_bidi_control(mail::utf8_at(text, i).value))
        info.bidi_control = true;
    else
        info.invisible = true;
    return length;
}

bool decoy_extension(std::string_view ext) {
    static const std::string_view decoys[] = {
        "pdf", "doc",  "docx", "xls", "xlsx", "ppt", "pptx", "txt", "rtf",
        "jpg", "jpeg", "png",  "gif", "bmp",  "tif", "tiff", "mp3", "mp4",
        "avi", "zip",  "csv",  "odt", "ods",  "htm", "html", "wav", "eml"};
    return std::find(std::begin(decoys), std::end(decoys), ext) !=
           std::end(decoys);
}

void split_extensions(NameInfo& info) {
    std::string_view name = info.shown;
    size_t slash = name.find_last_of("/\\");
    if (slash != std::string_view::npos)
        name.remove_prefix(slash + 1);
    size_t dot = name.find('.');
    while (dot != std::string_view::npos && dot + 1 < name.size()) {
        size_t next = name.find('.', dot + 1);
        std::string_view ext = name.substr(
            dot + 1, next == std::string_view::npos ? next : next - dot - 1);
        // Blanks padding a suffix ("a.exe      .pdf") push the real
        // extension out of view; they do not make it any less one.
        while (!ext.empty() && (ext.back() == ' ' || ext.back() == '\t'))
            ext.remove_suffix(1);
        // "report 2024.final notes.pdf": only short, blank-free suffixes
        // read as extensions.
        if (!ext.empty() && ext.size() <= 10 &&
            ext.find(' ') == std::string_view::npos)
            info.extensions.push_back(std::string(ext));
        dot = next;
    }
    if (!info.extensions.empty())
        info.extension = info.extensions.back();
    size_t count = info.extensions.size();
    info.double_extension =
        count >= 2 && decoy_extension(info.extensions[count - 2]) &&
        info.extensions[count - 2] != info.extensions[count - 1];
}

struct MagicCookie {
    magic_t cookie = nullptr;
    std::mutex lock;

    MagicCookie() {
        cookie =
            magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR);
        if (cookie && magic_load(cookie, nullptr) != 0) {
            magic_close(cookie);
            cookie = nullptr;
        }
    }
    ~MagicCookie() {
        if (cookie)
            magic_close(cookie);
    }
};

struct ArchiveFree {
    void operator()(archive* a) const { archive_read_free(a); }
};

struct ListState {
    const ArchiveLimits& limits;
    Listing& listing;
    size_t total_bytes = 0;
};

void list_level(ListState& state, std::string_view content,
                const std::string& prefix, int depth);

// Reads an entry's bytes up to the limits; false when a limit stopped it.
bool read_entry(ListState& state, archive* reader, std::string& data) {
    char buffer[16384];
    for (;;) {
        la_ssize_t n = archive_read_data(reader, buffer, sizeof buffer);
        if (n == 0)
            return true;
        if (n < 0)
            return true; // a damaged entry: list what we have
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

void add_entry(ListState& state, archive* reader, archive_entry* item,
               const std::string& prefix, int depth) {
    Entry entry;
    const char* path = archive_entry_pathname_utf8(item);
    if (!path)
        path = archive_entry_pathname(item);
    entry.name = path ? path : "";
    entry.path = prefix + "/" + entry.name;
    entry.size = static_cast<uint64_t>(archive_entry_size(item));
    entry.depth = depth;
    entry.encrypted = archive_entry_is_encrypted(item);
    state.listing.encrypted = state.listing.encrypted || entry.encrypted;
    std::string data;
    bool complete = true;
    if (!entry.encrypted && archive_entry_filetype(item) == AE_IFREG) {
        complete = read_entry(state, reader, data);
        entry.true_type = true_type(data);
    }
    state.listing.entries.push_back(entry);
    if (!complete || !is_archive_type(entry.true_type))
        return;
    if (depth >= state.limits.max_depth) {
        state.listing.limit = "max_depth";
        return;
    }
    list_level(state, data, entry.path, depth + 1);
}

void list_level(ListState& state, std::string_view content,
                const std::string& prefix, int depth) {
    std::unique_ptr<archive, ArchiveFree> reader(archive_read_new());
    archive_read_support_filter_all(reader.get());
    archive_read_support_format_all(reader.get());
    if (archive_read_open_memory(reader.get(), content.data(),
                                 content.size()) != ARCHIVE_OK) {
        if (state.listing.error.empty())
            state.listing.error = archive_error_string(reader.get())
                                      ? archive_error_string(reader.get())
                                      : "unreadable archive";
        return;
    }
    archive_entry* item = nullptr;
    for (;;) {
        int status = archive_read_next_header(reader.get(), &item);
        if (status == ARCHIVE_EOF)
            return;
        if (status < ARCHIVE_WARN) {
            if (state.listing.error.empty()) {
                const char* why = archive_error_string(reader.get());
                state.listing.error = why ? why : "damaged archive";
            }
            return;
        }
        if (state.listing.entries.size() >= state.limits.max_entries) {
            state.listing.limit = "max_entries";
            return;
        }
        add_entry(state, reader.get(), item, prefix, depth);
        if (!state.listing.limit.empty())
            return;
    }
}

} // namespace

NameInfo examine_name(std::string_view name) {
    NameInfo info;
    std::string kept;
    for (size_t i = 0; i < name.size();) {
        if (size_t skip = invisible_length(name, i, info)) {
            i += skip;
            continue;
        }
        // A NUL ends the name in C but not for whoever saves the file:
        // keep what follows so the real extension is seen.
        if (name[i] == '\0') {
            info.nul = true;
            ++i;
            continue;
        }
        kept += name[i++];
    }
    // Windows drops trailing dots and blanks: "bill.exe . " runs as .exe.
    size_t end = kept.find_last_not_of(". \t");
    if (end + 1 != kept.size())
        info.padded = true;
    kept.erase(end == std::string::npos ? 0 : end + 1);
    if (kept.find("   .") != std::string::npos)
        info.padded = true;
    info.shown = lower_ascii(kept);
    split_extensions(info);
    return info;
}

std::string_view implied_extension(std::string_view declared_type) {
    // The Windows registry's extension for each type, as Outlook uses it;
    // only the types the default policy's name rules care about.
    static constexpr std::pair<std::string_view, std::string_view> types[] = {
        {"text/html", "htm"},
        {"application/xhtml+xml", "xhtml"},
        {"image/svg+xml", "svg"},
        {"application/hta", "hta"},
        {"text/javascript", "js"},
        {"application/javascript", "js"},
        {"application/x-javascript", "js"},
        {"text/vbscript", "vbs"},
        {"application/x-msdownload", "exe"},
        {"application/x-msdos-program", "exe"},
        {"application/vnd.microsoft.portable-executable", "exe"},
        {"application/x-ms-shortcut", "lnk"},
        {"application/x-msi", "msi"},
        {"application/x-bat", "bat"},
        {"text/x-msdos-batch", "bat"},
        {"application/java-archive", "jar"},
        {"application/x-iso9660-image", "iso"},
    };
    for (const auto& [type, extension] : types) {
        if (type == declared_type)
            return extension;
    }
    return {};
}

std::string true_type(std::string_view content) {
    static MagicCookie magic;
    if (content.empty())
        return "application/x-empty";
    std::lock_guard<std::mutex> guard(magic.lock);
    if (!magic.cookie)
        return "application/octet-stream";
    const char* type =
        magic_buffer(magic.cookie, content.data(), content.size());
    return type ? type : "application/octet-stream";
}

bool is_archive_type(std::string_view type) {
    static const std::string_view archives[] = {
        "application/zip",
        "application/x-zip-compressed",
        "application/x-tar",
        "application/gzip",
        "application/x-gzip",
        "application/x-bzip2",
        "application/x-xz",
        "application/x-7z-compressed",
        "application/x-rar",
        "application/vnd.rar",
        "application/x-rar-compressed",
        "application/vnd.ms-cab-compressed",
        "application/x-iso9660-image",
        "application/x-cpio",
        "application/x-archive",
        "application/x-lzh-compressed",
        "application/x-lha",
        "application/java-archive"};
    return std::find(std::begin(archives), std::end(archives), type) !=
           std::end(archives);
}

Listing list_archive(std::string_view content, std::string_view name,
                     const ArchiveLimits& limits) {
    Listing listing;
    ListState state{limits, listing};
    list_level(state, content, std::string(name), 1);
    return listing;
}

} // namespace portcullis::attachment
