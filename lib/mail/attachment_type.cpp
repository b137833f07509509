// True types and names. The magic cookie is opened once and kept: loading
// the database costs far more than a lookup. Listing archives is in
// archive_list.cpp.
#include "mail/attachment_type.hpp"
#include "mail/filename.hpp"
#include "mail/unicode_marks.hpp"

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
        // "report 2024.final notes.pdf": only blank-free suffixes read as
        // extensions, and inside the name only short ones. The last one
        // is what Windows runs the file by, however long: a class id
        // such as ".{3050F4D8-98B5-11CF-BB82-00AA00BDCE0B}" is 38 bytes.
        bool last = next == std::string_view::npos;
        if (!ext.empty() && (last || ext.size() <= 10) &&
            ext.find(' ') == std::string_view::npos)
            info.extensions.push_back(std::string(ext));
        dot = next;
    }
    if (!info.extensions.empty())
        info.extension = info.extensions.back();
    info.clsid = mime::is_clsid_extension(info.extension);
    size_t count = info.extensions.size();
    info.double_extension =
        count >= 2 && mime::is_double_extension(info.extensions[count - 2],
                                                info.extensions[count - 1]);
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
    // Windows drops trailing dots and blanks, and a data stream suffix:
    // "bill.exe . " and "bill.exe::$DATA" are saved as bill.exe.
    size_t saved = mime::windows_saved_name(kept).size();
    if (saved != kept.size())
        info.padded = true;
    kept.erase(saved);
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

} // namespace portcullis::attachment
