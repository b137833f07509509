// The TNEF reader. A stream is a signature, a key, then attribute records
// (level, id, length, data, checksum). A file starts at attAttachRendData;
// its name is attAttachTitle, or PR_ATTACH_LONG_FILENAME from the MAPI
// properties in attAttachment; its bytes are attAttachData.
#include "mail/tnef.hpp"
#include "core/strings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

namespace portcullis::mime {

namespace {

constexpr uint32_t signature = 0x223E9F78;

// Attribute ids, low 16 bits; the high 16 bits give the data type.
constexpr uint16_t att_attach_data = 0x800F;
constexpr uint16_t att_attach_title = 0x8010;
constexpr uint16_t att_attach_rend_data = 0x9002;
constexpr uint16_t att_attachment = 0x9005;

// MAPI property ids and types.
constexpr uint16_t pr_attach_data_obj = 0x3701;
constexpr uint16_t pr_attach_filename = 0x3704;
constexpr uint16_t pr_attach_long_filename = 0x3707;
constexpr uint16_t pt_object = 0x000D;
constexpr uint16_t pt_string8 = 0x001E;
constexpr uint16_t pt_unicode = 0x001F;
constexpr uint16_t pt_binary = 0x0102;
constexpr uint16_t mv_flag = 0x1000;

// Little-endian reads that fail instead of running past the end.
class Cursor {
public:
    explicit Cursor(std::string_view data) : data_(data) {}

    size_t offset() const { return pos_; }
    size_t left() const { return data_.size() - pos_; }
    bool at_end() const { return pos_ >= data_.size(); }

    bool u8(uint8_t& v) {
        std::string_view b;
        if (!take(1, b))
            return false;
        v = static_cast<uint8_t>(b[0]);
        return true;
    }

    bool u16(uint16_t& v) {
        std::string_view b;
        if (!take(2, b))
            return false;
        v = static_cast<uint16_t>(byte(b, 0) | byte(b, 1) << 8);
        return true;
    }

    bool u32(uint32_t& v) {
        std::string_view b;
        if (!take(4, b))
            return false;
        v = byte(b, 0) | byte(b, 1) << 8 | byte(b, 2) << 16 | byte(b, 3) << 24;
        return true;
    }

    bool take(size_t n, std::string_view& out) {
        if (n > left())
            return false;
        out = data_.substr(pos_, n);
        pos_ += n;
        return true;
    }

    bool skip(size_t n) {
        std::string_view ignored;
        return take(n, ignored);
    }

private:
    static uint32_t byte(std::string_view b, size_t i) {
        return static_cast<unsigned char>(b[i]);
    }

    std::string_view data_;
    size_t pos_ = 0;
};

std::string strip_nuls(std::string_view text) {
    while (!text.empty() && text.back() == '\0')
        text.remove_suffix(1);
    return std::string(text);
}

// UTF-16LE to UTF-8; an unpaired surrogate becomes U+FFFD.
std::string utf16le_to_utf8(std::string_view data) {
    std::string out;
    auto unit = [&](size_t i) -> uint32_t {
        return static_cast<unsigned char>(data[i]) |
               static_cast<unsigned char>(data[i + 1]) << 8;
    };
    for (size_t i = 0; i + 1 < data.size(); i += 2) {
        uint32_t cp = unit(i);
        if (cp >= 0xD800 && cp < 0xDC00 && i + 3 < data.size() &&
            unit(i + 2) >= 0xDC00 && unit(i + 2) < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (unit(i + 2) - 0xDC00);
            i += 2;
        } else if (cp >= 0xD800 && cp < 0xE000) {
            cp = 0xFFFD;
        }
        append_utf8(out, cp);
    }
    return out;
}

size_t fixed_size(uint16_t type) {
    switch (type) {
    case 0x0001: // PT_NULL
    case 0x0002: // PT_SHORT, padded
    case 0x0003: // PT_LONG
    case 0x0004: // PT_FLOAT
    case 0x000A: // PT_ERROR
    case 0x000B: // PT_BOOLEAN, padded
        return 4;
    case 0x0005: // PT_DOUBLE
    case 0x0006: // PT_CURRENCY
    case 0x0007: // PT_APPTIME
    case 0x0014: // PT_I8
    case 0x0040: // PT_SYSTIME
        return 8;
    case 0x0048: // PT_CLSID
        return 16;
    default:
        return 0;
    }
}

bool is_variable(uint16_t type) {
    return type == pt_string8 || type == pt_unicode || type == pt_binary ||
           type == pt_object;
}

size_t padded(size_t n) {
    return (n + 3) / 4 * 4;
}

// What the MAPI properties of one attachment say about its file.
struct AttachProps {
    std::string long_filename;
    std::string filename;
    std::string data;
};

bool skip_named_id(Cursor& in) {
    uint32_t kind = 0;
    if (!in.skip(16) || !in.u32(kind))
        return false;
    if (kind == 0)
        return in.skip(4);
    uint32_t length = 0;
    return in.u32(length) && in.skip(padded(length));
}

void keep_value(uint16_t id, uint16_t type, std::string_view value,
                AttachProps& props) {
    if (id == pr_attach_long_filename || id == pr_attach_filename) {
        std::string text =
            type == pt_unicode ? utf16le_to_utf8(value) : std::string(value);
        (id == pr_attach_long_filename ? props.long_filename : props.filename) =
            strip_nuls(text);
        return;
    }
    if (id == pr_attach_data_obj && type == pt_binary)
        props.data = std::string(value);
    if (id == pr_attach_data_obj && type == pt_object && value.size() >= 16)
        props.data = std::string(value.substr(16)); // after the IID
}

// Reads one property; false when it cannot be read safely.
bool read_property(Cursor& in, AttachProps& props) {
    uint16_t type = 0, id = 0;
    if (!in.u16(type) || !in.u16(id))
        return false;
    if (id >= 0x8000 && !skip_named_id(in))
        return false;
    uint16_t base = type & ~mv_flag;
    uint32_t values = 1;
    if (((type & mv_flag) || is_variable(base)) && !in.u32(values))
        return false;
    if (values > in.left() / 4 + 1)
        return false;
    for (uint32_t i = 0; i < values; ++i) {
        if (!is_variable(base)) {
            size_t size = fixed_size(base);
            if (size == 0 || !in.skip(size))
                return false;
            continue;
        }
        uint32_t length = 0;
        std::string_view value;
        if (!in.u32(length) || !in.take(length, value) ||
            !in.skip(std::min(padded(length) - length, in.left())))
            return false;
        keep_value(id, base, value, props);
    }
    return true;
}

bool read_properties(std::string_view data, AttachProps& props) {
    Cursor in(data);
    uint32_t count = 0;
    if (!in.u32(count) || count > in.left() / 4)
        return false;
    for (uint32_t i = 0; i < count; ++i) {
        if (!read_property(in, props))
            return false;
    }
    return true;
}

// The file being assembled from the attachment attributes.
struct Pending {
    bool open = false;
    std::string title;
    std::string data;
    AttachProps props;
};

class Unpacker {
public:
    Unpacker(size_t max_files, size_t max_bytes)
        : max_files_(max_files), max_bytes_(max_bytes) {}

    // Handles one attribute; false stops the walk.
    bool attribute(uint16_t id, std::string_view data, size_t offset) {
        if (id == att_attach_rend_data) {
            finish();
            if (out_.files.size() >= max_files_) {
                problem(fmt::format("more than {} files", max_files_));
                return false;
            }
            pending_.open = true;
            return true;
        }
        if (id != att_attach_title && id != att_attach_data &&
            id != att_attachment)
            return true;
        pending_.open = true;
        if (id == att_attach_title)
            pending_.title = strip_nuls(data);
        if (id == att_attach_data)
            pending_.data = bounded(data);
        if (id == att_attachment && !read_properties(data, pending_.props))
            problem(fmt::format("bad MAPI properties at offset {}", offset));
        return true;
    }

    void problem(std::string text) { out_.problems.push_back(std::move(text)); }

    TnefContents finish_all() {
        finish();
        return std::move(out_);
    }

private:
    std::string bounded(std::string_view data) {
        size_t room = max_bytes_ - used_;
        if (data.size() > room) {
            problem(fmt::format("file data beyond {} bytes", max_bytes_));
            data = data.substr(0, room);
        }
        used_ += data.size();
        return std::string(data);
    }

    void finish() {
        if (!pending_.open)
            return;
        EmbeddedFile file;
        const AttachProps& props = pending_.props;
        // Readers differ on which name they show and which copy of the
        // bytes they save: every name and every copy is judged.
        const std::string* names[] = {&props.long_filename, &pending_.title,
                                      &props.filename};
        for (const std::string* name : names) {
            if (name->empty())
                continue;
            if (file.name.empty())
                file.name = *name;
            else if (*name != file.name &&
                     std::find(file.other_names.begin(), file.other_names.end(),
                               *name) == file.other_names.end())
                file.other_names.push_back(*name);
        }
        bool legacy = !pending_.data.empty();
        bool mapi = !props.data.empty() && props.data != pending_.data;
        file.data = legacy ? std::move(pending_.data)
                    : mapi ? bounded(props.data)
                           : std::string();
        if (!file.name.empty() || !file.data.empty())
            out_.files.push_back(file);
        if (legacy && mapi && out_.files.size() < max_files_) {
            file.data = bounded(props.data);
            out_.files.push_back(std::move(file));
        }
        pending_ = Pending{};
    }

    size_t max_files_;
    size_t max_bytes_;
    size_t used_ = 0;
    Pending pending_;
    TnefContents out_;
};

} // namespace

bool is_tnef(std::string_view data) {
    Cursor in(data);
    uint32_t sig = 0;
    return in.u32(sig) && sig == signature;
}

Result<TnefContents> unpack_tnef(std::string_view data, size_t max_files,
                                 size_t max_bytes) {
    if (!is_tnef(data))
        return Error{"tnef", "no TNEF signature"};
    Cursor in(data);
    Unpacker unpacker(max_files, max_bytes);
    if (!in.skip(6)) { // signature and legacy key
        unpacker.problem("no room for the key after the signature");
        return unpacker.finish_all();
    }
    while (!in.at_end()) {
        size_t offset = in.offset();
        uint8_t level = 0;
        uint32_t id = 0, length = 0;
        std::string_view value;
        if (!in.u8(level) || !in.u32(id) || !in.u32(length) ||
            !in.take(length, value) || !in.skip(2)) {
            unpacker.problem(fmt::format(
                "attribute at offset {} runs past the end", offset));
            break;
        }
        if (!unpacker.attribute(static_cast<uint16_t>(id & 0xFFFF), value,
                                offset))
            break;
    }
    return unpacker.finish_all();
}

Result<std::vector<EmbeddedFile>>
decode_tnef(std::string_view data, size_t max_files, size_t max_bytes) {
    auto contents = unpack_tnef(data, max_files, max_bytes);
    if (!contents)
        return contents.error();
    return std::move(contents->files);
}

} // namespace portcullis::mime
