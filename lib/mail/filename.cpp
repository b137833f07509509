// File name checks work on code points decoded leniently from UTF-8: a
// byte that is not valid UTF-8 stands for itself, so no name can hide a
// character behind a broken sequence.
#include "mail/filename.hpp"
#include "core/strings.hpp"
#include "mail/unicode_marks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>

namespace portcullis::mime {

namespace {

// One decoded code point and the bytes it took.
struct CodePoint {
    uint32_t value;
    size_t length;
};

CodePoint decode_at(std::string_view text, size_t i) {
    auto byte = [&](size_t k) -> uint32_t {
        return static_cast<unsigned char>(text[k]);
    };
    uint32_t b0 = byte(i);
    size_t length = b0 < 0x80 ? 1 : b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2;
    if (b0 < 0x80 || b0 < 0xC2 || b0 > 0xF4 || i + length > text.size())
        return {b0, 1};
    uint32_t value = b0 & (0x7F >> length);
    for (size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80)
            return {b0, 1};
        value = value << 6 | (byte(i + k) & 0x3F);
    }
    return {value, length};
}

bool is_control(uint32_t c) {
    return c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0);
}

// CON, PRN, AUX, NUL, CONIN$, CONOUT$, COM0-9 and LPT0-9 (the digit
// may be a superscript 1, 2 or 3), in any case and with any extension,
// name devices on Windows.
bool is_windows_device(std::string_view name) {
    std::string stem = ascii_lower(name.substr(0, name.find('.')));
    while (!stem.empty() && stem.back() == ' ')
        stem.pop_back();
    for (std::string_view device :
         {"con", "prn", "aux", "nul", "conin$", "conout$"})
        if (stem == device)
            return true;
    if (!stem.starts_with("com") && !stem.starts_with("lpt"))
        return false;
    std::string_view digit = std::string_view(stem).substr(3);
    return (digit.size() == 1 && digit[0] >= '0' && digit[0] <= '9') ||
           digit == "\xC2\xB9" || digit == "\xC2\xB2" || digit == "\xC2\xB3";
}

bool is_hidden(uint32_t c) {
    return is_control(c) || mail::is_invisible(c);
}

// NTFS names a file's streams "name:stream:$DATA", its own contents
// "name::$DATA": whatever honours the suffix saves the file as the name
// before the first colon, "pay.exe::$DATA" or "pay.exe:x:$DATA" as
// pay.exe. A colon is in no other Windows file name.
constexpr std::string_view data_stream = ":$DATA";

bool ends_with_data_stream(std::string_view name) {
    return name.size() >= data_stream.size() &&
           equals_ci(name.substr(name.size() - data_stream.size()),
                     data_stream);
}

// The name without its stream: up to the first colon of its last part.
std::string_view without_stream(std::string_view name) {
    size_t slash = name.find_last_of("/\\");
    size_t colon =
        name.find(':', slash == std::string_view::npos ? 0 : slash + 1);
    return name.substr(0, colon);
}

// Extensions a victim trusts, used as decoys before the real one.
constexpr std::array<std::string_view, 27> decoy_extensions = {
    "pdf",  "doc", "docx", "xls", "xlsx", "ppt", "pptx", "rtf", "txt",
    "csv",  "odt", "ods",  "jpg", "jpeg", "png", "gif",  "bmp", "tif",
    "tiff", "mp3", "mp4",  "wav", "avi",  "eml", "zip",  "htm", "html"};

// Final extensions that wrap a document whole: compressions, archives
// and signatures, as in report.pdf.gz or letter.doc.p7m. Unwrapping
// gives back the inner name, and what we unpack is judged by it.
constexpr std::array<std::string_view, 28> wrapper_extensions = {
    "gz",  "z",   "bz2", "bz",  "xz",  "lzma", "lz",   "lz4", "zst",  "zip",
    "7z",  "rar", "tar", "tgz", "taz", "tbz",  "tbz2", "txz", "tzst", "cpio",
    "lha", "lzh", "p7m", "p7s", "asc", "sig",  "gpg",  "pgp"};

template <size_t N>
bool contains(const std::array<std::string_view, N>& list,
              std::string_view ext) {
    return std::find(list.begin(), list.end(), ext) != list.end();
}

bool has_double_extension(std::string_view name) {
    name = windows_saved_name(name);
    size_t last = name.rfind('.');
    if (last == std::string_view::npos || last == 0)
        return false;
    std::string final = ascii_lower(name.substr(last + 1));
    std::string_view stem = name.substr(0, last);
    // Spaces or a NUL separate the decoy from the real extension:
    // "a.pdf    .exe", "a.pdf\0.exe".
    while (!stem.empty() && static_cast<unsigned char>(stem.back()) <= ' ')
        stem.remove_suffix(1);
    size_t inner = stem.rfind('.');
    // However long the final extension, Windows runs the file by it; one
    // with a blank is no extension anything is registered for.
    if (inner == std::string_view::npos || final.empty() ||
        final.find_first_of(" \t") != std::string::npos)
        return false;
    return is_double_extension(ascii_lower(stem.substr(inner + 1)), final);
}

} // namespace

bool is_clsid_extension(std::string_view extension) {
    // "{3050F4D8-98B5-11CF-BB82-00AA00BDCE0B}": 8-4-4-4-12 hex digits.
    constexpr std::string_view shape = "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}";
    if (extension.size() != shape.size())
        return false;
    for (size_t i = 0; i < shape.size(); ++i) {
        char c = extension[i];
        bool ok = shape[i] == 'x'
                      ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                      : c == shape[i];
        if (!ok)
            return false;
    }
    return true;
}

// Past 10 bytes an extension is rarely one Windows runs anything by
// ("Invoice.pdf.acme-industries", "scan.pdf.20240501093000" are names,
// not disguises), but for a class id and these.
constexpr std::array<std::string_view, 5> long_run_extensions = {
    "application", "appinstaller", "settingcontent-ms", "searchconnector-ms",
    "library-ms"};

bool is_double_extension(std::string_view decoy, std::string_view final) {
    if (final.size() > 10 && !is_clsid_extension(final) &&
        !contains(long_run_extensions, final))
        return false;
    return contains(decoy_extensions, decoy) && decoy != final &&
           !contains(wrapper_extensions, final);
}

std::vector<std::string> filename_anomalies(std::string_view name) {
    bool bidi = false, zero_width = false, nul = false, control = false;
    for (size_t i = 0; i < name.size();) {
        CodePoint cp = decode_at(name, i);
        bidi = bidi || mail::is_bidi_control(cp.value);
        zero_width = zero_width || mail::is_zero_width(cp.value);
        nul = nul || cp.value == 0;
        control = control || (cp.value != 0 && is_control(cp.value));
        i += cp.length;
    }
    std::vector<std::string> ids;
    if (bidi)
        ids.push_back("BIDI_CONTROL_IN_FILENAME");
    if (zero_width)
        ids.push_back("ZERO_WIDTH_IN_FILENAME");
    if (nul)
        ids.push_back("NUL_IN_FILENAME");
    if (control)
        ids.push_back("CONTROL_CHAR_IN_FILENAME");
    if (!name.empty() && (name.back() == '.' || name.back() == ' '))
        ids.push_back("TRAILING_DOT_OR_SPACE");
    if (ends_with_data_stream(name.substr(0, name.find_last_not_of(". ") + 1)))
        ids.push_back("DATA_STREAM_IN_FILENAME");
    if (has_double_extension(name))
        ids.push_back("DOUBLE_EXTENSION");
    if (is_clsid_extension(final_extension(name)))
        ids.push_back("CLSID_EXTENSION");
    return ids;
}

std::string_view windows_saved_name(std::string_view name) {
    for (;;) {
        while (!name.empty() && (name.back() == '.' || name.back() == ' ' ||
                                 name.back() == '\t'))
            name.remove_suffix(1);
        if (!ends_with_data_stream(name))
            return name;
        name = without_stream(name);
    }
}

std::string final_extension(std::string_view name) {
    name = windows_saved_name(name);
    size_t dot = name.rfind('.');
    if (dot == std::string_view::npos)
        return "";
    return ascii_lower(name.substr(dot + 1));
}

bool has_hidden_characters(std::string_view name) {
    for (size_t i = 0; i < name.size();) {
        CodePoint cp = decode_at(name, i);
        if (is_hidden(cp.value))
            return true;
        i += cp.length;
    }
    return false;
}

std::string escape_hidden(std::string_view name) {
    std::string out;
    for (size_t i = 0; i < name.size();) {
        CodePoint cp = decode_at(name, i);
        if (is_hidden(cp.value))
            out += fmt::format("\\u{:04X}", cp.value);
        else
            out.append(name.substr(i, cp.length));
        i += cp.length;
    }
    return out;
}

std::string safe_basename(std::string_view name) {
    size_t slash = name.find_last_of("/\\");
    if (slash != std::string_view::npos)
        name.remove_prefix(slash + 1);
    std::string out;
    for (size_t i = 0; i < name.size();) {
        CodePoint cp = decode_at(name, i);
        // Line and paragraph separators break a listing as a line break
        // does; < > : " | ? * cannot stand in a Windows file name.
        bool bad =
            is_hidden(cp.value) || cp.value == 0x2028 || cp.value == 0x2029 ||
            (cp.value < 0x80 &&
             std::string_view("<>:\"|?*").find(static_cast<char>(cp.value)) !=
                 std::string_view::npos) ||
            (cp.length == 1 && cp.value >= 0x80);
        if (bad)
            out.push_back('_');
        else
            out.append(name.substr(i, cp.length));
        i += cp.length;
    }
    size_t start = out.find_first_not_of(". ");
    out.erase(0, start == std::string::npos ? out.size() : start);
    while (!out.empty() && (out.back() == '.' || out.back() == ' '))
        out.pop_back();
    constexpr size_t max_bytes = 200;
    if (out.size() > max_bytes) {
        std::string ext = final_extension(out).substr(0, 16);
        size_t keep = max_bytes - ext.size() - 1;
        // Cut on a character boundary, never inside a UTF-8 sequence.
        while (keep > 0 &&
               (static_cast<unsigned char>(out[keep]) & 0xC0) == 0x80)
            --keep;
        out = out.substr(0, keep) + (ext.empty() ? "" : "." + ext);
    }
    if (out.empty())
        return "attachment";
    // "-rf" reads as an option to a script's rm *, and CON or nul.txt is
    // a device, not a file, once the folder is shared with Windows.
    if (out.front() == '-' || is_windows_device(out))
        out.insert(0, "_");
    return out;
}

} // namespace portcullis::mime
