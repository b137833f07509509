// The lenient parse, written for Portcullis. It reads line by line, keeps
// offsets into the raw message, and is bounded three ways: nesting depth,
// part count and a work budget on bytes examined, because every extra
// boundary reading walks a subtree again.
#include "mail/lenient_mime.hpp"
#include "core/strings.hpp"

#include "mail/binhex.hpp"
#include "mail/line_ends.hpp"
#include "mail/params.hpp"
#include "mail/quoted_printable.hpp"
#include "mail/tnef.hpp"
#include "mail/uuencode.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>

namespace portcullis::mime::lenient {

namespace {

struct Header {
    std::string name; ///< lower case
    std::string value;
};

struct ContentType {
    std::string type = "text/plain";
    HeaderValue value;
};

struct Line {
    size_t begin;
    size_t content_end; ///< before CR LF or LF
    size_t end;         ///< after the line end
};

struct Context {
    const Limits& limits;
    Tree& tree;
    size_t work_left;
    size_t decoded_left;
};

// Where an entity's bytes are, relative to the raw message when in_raw.
struct Span {
    std::string_view bytes;
    size_t base = 0;
    bool in_raw = false;
};

Line next_line(std::string_view text, size_t pos) {
    size_t eol = text.find('\n', pos);
    size_t end = eol == std::string_view::npos ? text.size() : eol + 1;
    size_t content_end = eol == std::string_view::npos ? text.size() : eol;
    if (content_end > pos && text[content_end - 1] == '\r')
        --content_end;
    return {pos, content_end, end};
}

void add_anomaly(Context& ctx, Part* part, std::string id,
                 std::string detail = {}) {
    if (part && std::find(part->anomalies.begin(), part->anomalies.end(), id) ==
                    part->anomalies.end())
        part->anomalies.push_back(id);
    ctx.tree.anomalies.push_back(
        {std::move(id), part ? part->path : "", std::move(detail)});
}

bool is_header_name(std::string_view name) {
    if (name.empty())
        return false;
    return std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return c > ' ' && c < 0x7f && c != ':';
    });
}

// Reads the header block; returns where the body starts. A line that is
// neither a field nor a continuation ends the headers, as Outlook shows
// such a line as body text rather than dropping it. Only the fields
// within limits.header_fields and limits.header_block_bytes are kept;
// over_limit says whether any was passed over.
size_t read_headers(std::string_view entity, const Limits& limits,
                    std::vector<Header>& headers, bool& over_limit) {
    size_t pos = 0;
    size_t fields = 0;
    bool keeping = true;
    while (pos < entity.size()) {
        Line line = next_line(entity, pos);
        std::string_view content =
            entity.substr(line.begin, line.content_end - line.begin);
        if (content.empty())
            return line.end;
        if (keeping && line.end > limits.header_block_bytes) {
            keeping = false;
            over_limit = true;
        }
        if ((content[0] == ' ' || content[0] == '\t') && fields > 0) {
            if (keeping) {
                headers.back().value += ' ';
                headers.back().value += trim_folding_space(content);
            }
            pos = line.end;
            continue;
        }
        size_t colon = content.find(':');
        if (colon == std::string_view::npos ||
            !is_header_name(trim_folding_space(content.substr(0, colon))))
            return line.begin;
        if (keeping && ++fields > limits.header_fields) {
            keeping = false;
            over_limit = true;
        }
        if (keeping)
            headers.push_back(
                {ascii_lower(trim_folding_space(content.substr(0, colon))),
                 std::string(trim_folding_space(content.substr(colon + 1)))});
        pos = line.end;
    }
    return entity.size();
}

const Header* first_header(const std::vector<Header>& headers,
                           std::string_view name) {
    for (const Header& h : headers) {
        if (h.name == name)
            return &h;
    }
    return nullptr;
}

int count_headers(const std::vector<Header>& headers, std::string_view name) {
    return static_cast<int>(
        std::count_if(headers.begin(), headers.end(),
                      [&](const Header& h) { return h.name == name; }));
}

ContentType parse_content_type(const Header* header) {
    ContentType out;
    if (!header)
        return out;
    out.value = parse_header_value(header->value);
    if (out.value.token.find('/') != std::string::npos)
        out.type = out.value.token;
    return out;
}

// Every boundary declared, in order and without repeats: the first is
// Outlook's reading, the others are what some other reader may take.
// Blanks that end one are dropped, as the strict reading drops them: RFC
// 2046 ends a boundary with a non-blank, and boundary="B " with "--B"
// lines must not leave a part unread.
std::vector<std::string> boundaries(const ContentType& type) {
    std::vector<std::string> out;
    for (const Parameter* p : type.value.find_all("boundary")) {
        std::string value =
            p->value.substr(0, p->value.find_last_not_of(" \t") + 1);
        if (!value.empty() &&
            std::find(out.begin(), out.end(), value) == out.end())
            out.push_back(std::move(value));
    }
    return out;
}

enum class Delimiter { none, open, close };

// RFC 2046 section 5.1.1: "--" boundary, then "--" for the last one, then
// optional white space. A longer boundary sharing a prefix is no match.
Delimiter delimiter_kind(std::string_view line, std::string_view boundary) {
    if (line.size() < boundary.size() + 2 || line[0] != '-' || line[1] != '-' ||
        line.compare(2, boundary.size(), boundary) != 0)
        return Delimiter::none;
    std::string_view rest = line.substr(2 + boundary.size());
    bool close = rest.substr(0, 2) == "--";
    if (close)
        rest.remove_prefix(2);
    if (!trim_folding_space(rest).empty())
        return Delimiter::none;
    return close ? Delimiter::close : Delimiter::open;
}

struct Split {
    std::vector<std::pair<size_t, size_t>> children; ///< begin, end in body
    bool closed = false;
};

size_t strip_line_end_before(std::string_view body, size_t start, size_t end) {
    if (end > start && body[end - 1] == '\n')
        --end;
    if (end > start && body[end - 1] == '\r')
        --end;
    return end;
}

Split split_body(std::string_view body, std::string_view boundary) {
    Split split;
    std::optional<size_t> child_start;
    for (size_t pos = 0; pos < body.size();) {
        Line line = next_line(body, pos);
        pos = line.end;
        if (body[line.begin] != '-')
            continue;
        Delimiter kind = delimiter_kind(
            body.substr(line.begin, line.content_end - line.begin), boundary);
        if (kind == Delimiter::none)
            continue;
        // The line end before a delimiter belongs to the delimiter.
        if (child_start)
            split.children.emplace_back(
                *child_start,
                strip_line_end_before(body, *child_start, line.begin));
        if (kind == Delimiter::close) {
            split.closed = true;
            return split;
        }
        child_start = line.end;
    }
    if (child_start)
        split.children.emplace_back(*child_start, body.size());
    return split;
}

// A multipart without a boundary parameter: Outlook takes the first line
// that looks like a delimiter.
std::string guess_boundary(std::string_view body) {
    for (size_t pos = 0; pos < body.size();) {
        Line line = next_line(body, pos);
        pos = line.end;
        std::string_view content =
            body.substr(line.begin, line.content_end - line.begin);
        if (content.size() > 2 && content.substr(0, 2) == "--")
            return std::string(trim_folding_space(content.substr(2)));
    }
    return "";
}

std::string decode_uuencoded_body(std::string_view text, size_t max_out);

bool is_uuencoding(std::string_view encoding) {
    return encoding == "x-uuencode" || encoding == "uuencode" ||
           encoding == "x-uue";
}

// Whether decode_body() changes a body in this transfer encoding.
bool is_encoding(std::string_view encoding) {
    return encoding == "base64" || encoding == "quoted-printable" ||
           is_uuencoding(encoding);
}

// Base64, quoted-printable and uuencode are decoded within what the
// decoded-size limit leaves, and a little more to see it cut.
std::string decode_body(Context& ctx, Part& part, std::string_view body) {
    std::string out;
    if (part.transfer_encoding == "base64") {
        bool garbage = false;
        out = decode_base64(body, garbage, ctx.decoded_left);
        if (garbage)
            add_anomaly(ctx, &part, "BASE64_GARBAGE");
    } else if (part.transfer_encoding == "quoted-printable") {
        out = mime::decode_quoted_printable(body, ctx.decoded_left);
    } else if (is_uuencoding(part.transfer_encoding)) {
        out = decode_uuencoded_body(body, ctx.decoded_left);
    } else {
        // What the limit leaves is copied, and a byte more to see it cut.
        out = std::string(
            body.substr(0, std::min(body.size(), ctx.decoded_left + 1)));
    }
    if (out.size() > ctx.decoded_left) {
        out.resize(ctx.decoded_left);
        add_anomaly(ctx, &part, "DECODED_SIZE_LIMIT");
        ctx.tree.limit_hit = true;
    }
    ctx.decoded_left -= out.size();
    return out;
}

bool admit_part(Context& ctx, int depth) {
    if (depth > ctx.limits.mime_depth) {
        if (!ctx.tree.has_anomaly("MIME_NESTING_TOO_DEEP"))
            add_anomaly(ctx, nullptr, "MIME_NESTING_TOO_DEEP",
                        fmt::format("limit {}", ctx.limits.mime_depth));
        ctx.tree.limit_hit = true;
        return false;
    }
    if (ctx.tree.parts.size() >= static_cast<size_t>(ctx.limits.mime_parts)) {
        if (!ctx.tree.has_anomaly("MIME_TOO_MANY_PARTS"))
            add_anomaly(ctx, nullptr, "MIME_TOO_MANY_PARTS",
                        fmt::format("limit {}", ctx.limits.mime_parts));
        ctx.tree.limit_hit = true;
        return false;
    }
    return true;
}

bool spend_work(Context& ctx, size_t bytes) {
    if (bytes <= ctx.work_left) {
        ctx.work_left -= bytes;
        return true;
    }
    if (!ctx.tree.has_anomaly("MIME_WORK_LIMIT"))
        add_anomaly(ctx, nullptr, "MIME_WORK_LIMIT");
    ctx.tree.limit_hit = true;
    return false;
}

void parse_entity(Context& ctx, Span span, int depth, const std::string& path,
                  bool alternate);

void parse_multipart(Context& ctx, size_t index, Span body,
                     const ContentType& type, int depth) {
    std::vector<std::string> found = boundaries(type);
    std::string path = ctx.tree.parts[index].path;
    if (found.empty()) {
        std::string guessed = guess_boundary(body.bytes);
        if (guessed.empty())
            return;
        add_anomaly(ctx, &ctx.tree.parts[index], "MIME_BOUNDARY_GUESSED",
                    guessed);
        found.push_back(guessed);
    }
    if (found.size() > 1)
        add_anomaly(ctx, &ctx.tree.parts[index], "MIME_DUPLICATE_BOUNDARY",
                    fmt::format("{} boundaries", found.size()));

    // The first boundary is Outlook's reading; the others are read too,
    // because some other client will show them.
    int child_number = 0;
    for (size_t b = 0; b < found.size(); ++b) {
        if (!spend_work(ctx, body.bytes.size()))
            return;
        Split split = split_body(body.bytes, found[b]);
        if (!split.closed && b == 0)
            add_anomaly(ctx, &ctx.tree.parts[index],
                        "MIME_MISSING_CLOSE_BOUNDARY");
        for (auto [begin, end] : split.children) {
            Span child{body.bytes.substr(begin, end - begin), body.base + begin,
                       body.in_raw};
            parse_entity(ctx, child, depth + 1,
                         fmt::format("{}.{}", path, ++child_number), b > 0);
        }
    }
}

void parse_message(Context& ctx, size_t index, Span body, int depth) {
    Part& part = ctx.tree.parts[index];
    std::string path = part.path + ".1";
    if (is_encoding(part.transfer_encoding)) {
        // RFC 2046 forbids encoding a message/rfc822, so its bytes are
        // no longer the raw message: only the container can be replaced.
        std::string inner = decode_body(ctx, part, body.bytes);
        parse_entity(ctx, Span{inner, 0, false}, depth + 1, path, false);
        return;
    }
    parse_entity(ctx, body, depth + 1, path, false);
}

void describe(Part& part, const std::vector<Header>& headers,
              const ContentType& type) {
    part.content_type = type.type;
    part.is_multipart = type.type.rfind("multipart/", 0) == 0;
    part.is_message = is_message_type(type.type);
    const Header* cte = first_header(headers, "content-transfer-encoding");
    TransferEncoding encoding =
        read_transfer_encoding(cte ? std::string_view(cte->value) : "");
    part.transfer_encoding =
        encoding.name.empty() ? "7bit" : std::move(encoding.name);
    if (const Header* cd = first_header(headers, "content-disposition"))
        part.filename = parse_header_value(cd->value).get("filename");
    // Outlook names an attachment from Content-Type's name when the
    // disposition has no filename.
    if (part.filename.empty())
        part.filename = type.value.get("name");
}

void add_embedded(Context& ctx, size_t index);

void parse_entity(Context& ctx, Span span, int depth, const std::string& path,
                  bool alternate) {
    if (!admit_part(ctx, depth) || !spend_work(ctx, span.bytes.size()))
        return;
    std::vector<Header> headers;
    bool headers_over_limit = false;
    size_t body_offset =
        read_headers(span.bytes, ctx.limits, headers, headers_over_limit);
    ContentType type =
        parse_content_type(first_header(headers, "content-type"));

    Part part;
    part.path = path;
    part.depth = depth;
    part.alternate_reading = alternate;
    part.in_raw = span.in_raw;
    part.header_begin = span.base;
    part.body_begin = span.base + body_offset;
    part.body_end = span.base + span.bytes.size();
    describe(part, headers, type);
    size_t index = ctx.tree.parts.size();
    ctx.tree.parts.push_back(std::move(part));
    if (count_headers(headers, "content-type") > 1)
        add_anomaly(ctx, &ctx.tree.parts[index], "DUPLICATE_CONTENT_TYPE");
    if (headers_over_limit) {
        add_anomaly(ctx, &ctx.tree.parts[index], "HEADER_BLOCK_TOO_LARGE",
                    fmt::format("limit {} fields, {} bytes",
                                ctx.limits.header_fields,
                                ctx.limits.header_block_bytes));
        ctx.tree.limit_hit = true;
    }

    Span body{span.bytes.substr(body_offset), span.base + body_offset,
              span.in_raw};
    if (ctx.tree.parts[index].is_multipart) {
        parse_multipart(ctx, index, body, type, depth);
        return;
    }
    if (ctx.tree.parts[index].is_message) {
        parse_message(ctx, index, body, depth);
        return;
    }
    ctx.tree.parts[index].decoded =
        decode_body(ctx, ctx.tree.parts[index], body.bytes);
    add_embedded(ctx, index);
}

constexpr std::array<signed char, 256> base64_table() {
    std::array<signed char, 256> table{};
    for (auto& v : table)
        v = -1;
    const char* alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i)
        table[static_cast<unsigned char>(alphabet[i])] =
            static_cast<signed char>(i);
    return table;
}

// A uuencoded line: a length character, then four characters per three
// bytes, each character holding six bits offset by 32 ('`' is zero).
void decode_uu_line(std::string_view line, std::string& out) {
    if (line.empty())
        return;
    size_t want = static_cast<size_t>((line[0] - ' ') & 0x3f);
    size_t start = out.size();
    for (size_t i = 1; i < line.size() && out.size() - start < want; i += 4) {
        unsigned char c[4];
        for (size_t k = 0; k < 4; ++k)
            c[k] = static_cast<unsigned char>(
                (i + k < line.size() ? line[i + k] - ' ' : 0) & 0x3f);
        char bytes[3] = {static_cast<char>(c[0] << 2 | c[1] >> 4),
                         static_cast<char>(c[1] << 4 | c[2] >> 2),
                         static_cast<char>(c[2] << 6 | c[3])};
        for (char b : bytes) {
            if (out.size() - start < want)
                out += b;
        }
    }
}

// A whole body in uuencoding (Content-Transfer-Encoding: x-uuencode):
// the lines between "begin" and "end", no further than a line past
// max_out bytes.
std::string decode_uuencoded_body(std::string_view text, size_t max_out) {
    std::string out;
    bool inside = false;
    for (size_t pos = 0; pos < text.size() && out.size() <= max_out;) {
        Line line = next_line(text, pos);
        pos = line.end;
        std::string_view content =
            text.substr(line.begin, line.content_end - line.begin);
        if (!inside) {
            inside = content.substr(0, 6) == "begin ";
            continue;
        }
        if (content == "end")
            break;
        decode_uu_line(content, out);
    }
    return out;
}

bool is_tnef_part(const Part& part) {
    return part.content_type == "application/ms-tnef" ||
           part.content_type == "application/vnd.ms-tnef" ||
           is_tnef(part.decoded);
}

// Appends files found inside part index after it, as its children
// PATH.<tag>1, PATH.<tag>2, ...; returns how many.
size_t add_children(Context& ctx, size_t index, Origin origin, char tag,
                    std::vector<EmbeddedFile>& files) {
    std::string path = ctx.tree.parts[index].path;
    int depth = ctx.tree.parts[index].depth + 1;
    for (size_t i = 0; i < files.size(); ++i) {
        Part child;
        child.path = fmt::format("{}.{}{}", path, tag, i + 1);
        child.depth = depth;
        child.origin = origin;
        child.content_type = "application/octet-stream";
        child.filename = std::move(files[i].name);
        child.decoded = std::move(files[i].data);
        ctx.decoded_left -= std::min(ctx.decoded_left, child.decoded.size());
        ctx.tree.parts.push_back(std::move(child));
    }
    return files.size();
}

// yEnc blocks, which news readers and Thunderbird show as files, may
// stand in the same text as uuencoded ones.
size_t add_yenc(Context& ctx, size_t index, size_t room) {
    if (!may_hold_yenc(ctx.tree.parts[index].decoded))
        return 0;
    std::vector<EmbeddedFile> yenc =
        find_yenc(ctx.tree.parts[index].decoded, room);
    return add_children(ctx, index, Origin::yenc, 'y', yenc);
}

// BinHex blocks, in text or as an application/mac-binhex40 attachment
// (RFC 1741), which Mac mail readers show or save as files. A run expands
// a few bytes into many, so the output is held to the decoded budget.
void add_binhex(Context& ctx, size_t index, size_t room) {
    if (!may_hold_binhex(ctx.tree.parts[index].decoded))
        return;
    BinhexContents binhex =
        find_binhex(ctx.tree.parts[index].decoded, room, ctx.decoded_left,
                    ctx.limits.expansion_ratio);
    if (binhex.limit_hit) {
        add_anomaly(ctx, &ctx.tree.parts[index], "DECODED_SIZE_LIMIT");
        ctx.tree.limit_hit = true;
    }
    add_children(ctx, index, Origin::binhex, 'b', binhex.files);
}

// Outlook shows uuencoded blocks in text and the files inside winmail.dat
// as attachments; they become parts of their own, after their container.
void add_embedded(Context& ctx, size_t index) {
    const Part& parent = ctx.tree.parts[index];
    size_t room = static_cast<size_t>(ctx.limits.mime_parts) -
                  std::min(ctx.tree.parts.size(),
                           static_cast<size_t>(ctx.limits.mime_parts));
    bool text = parent.content_type.rfind("text/", 0) == 0;
    bool binhex = is_binhex_type(parent.content_type);
    if (text && may_hold_uuencoded(parent.decoded)) {
        std::vector<EmbeddedFile> files = find_uuencoded(parent.decoded, room);
        room -= add_children(ctx, index, Origin::uuencode, 'u', files);
    } else if (is_tnef_part(parent)) {
        auto found = decode_tnef(parent.decoded, room, ctx.decoded_left);
        if (found)
            add_children(ctx, index, Origin::tnef, 't', *found);
        return;
    }
    if (text)
        room -= add_yenc(ctx, index, room);
    if (text || binhex)
        add_binhex(ctx, index, room);
}

} // namespace

bool Tree::has_anomaly(std::string_view id) const {
    return std::any_of(anomalies.begin(), anomalies.end(),
                       [&](const Anomaly& a) { return a.id == id; });
}

std::string decode_base64(std::string_view text, bool& garbage,
                          size_t max_out) {
    static constexpr auto table = base64_table();
    std::string out;
    size_t most = text.size() / 4 * 3 + 3;
    out.reserve(max_out < most ? max_out + 1 : most);
    unsigned accumulator = 0;
    int bits = 0;
    garbage = false;
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '=')
            break;
        int v = table[c];
        if (v < 0) {
            garbage =
                garbage || !(c == ' ' || c == '\t' || c == '\r' || c == '\n');
            continue;
        }
        accumulator = (accumulator << 6 | static_cast<unsigned>(v)) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            // Past the limit the rest is read for garbage alone.
            if (out.size() <= max_out)
                out += static_cast<char>(accumulator >> bits & 0xff);
        }
    }
    return out;
}

Tree parse(std::string_view original, const Limits& limits) {
    Tree tree;
    // Offsets in the copy are offsets in the original: parts can still
    // be cut from the message as it came.
    std::string readable;
    std::string_view message = mail::readable_line_ends(original, readable);
    std::string_view body = skip_from_line(message);
    size_t base = message.size() - body.size();
    // Every extra boundary reading walks a subtree again; 64 passes over
    // the message is far more than any honest message needs.
    Context ctx{limits, tree, message.size() * 64 + (1u << 20),
                limits.decoded_bytes};
    parse_entity(ctx, Span{body, base, true}, 0, "1", false);
    return tree;
}

} // namespace portcullis::mime::lenient
