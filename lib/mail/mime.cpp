// The strict parse. GMime reads the message; the walk flattens its tree,
// reads every Content-* header with our own parameter parser, decodes
// each leaf once and has it inspected (mime_inspect.cpp), and the raw
// bytes are scanned again (mime_scan.cpp) for what GMime smooths over.
// g_mime_multipart_get_boundary() and serialisation are never called: on
// a multipart without a boundary they generate one, and Debian's GMime
// 3.2.13 can loop forever doing so.
#include "mail/mime.hpp"
#include "core/strings.hpp"
#include "core/watchdog.hpp"

#include "mail/base64.hpp"
#include "mail/charset.hpp"
#include "mail/filename.hpp"
#include "mail/gmime_support.hpp"
#include "mail/header_edit.hpp"
#include "mail/line_ends.hpp"
#include "mail/mime_detail.hpp"
#include "mail/params.hpp"
#include "mail/quoted_printable.hpp"
#include "mail/tnef.hpp"
#include "mail/zero_width.hpp"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <cstring>
#include <span>
#include <unordered_set>

namespace portcullis::mime {

using detail::add_anomaly;

namespace {

// What the limits allow of the whole message, shared by the message and
// every message decoded from inside it.
struct Budget {
    int part_count = 0;
    size_t decoded_total = 0;
    bool out_of_time = false;
};

// Where header values are read from. GMime keeps each raw value as a C
// string, cut at its first NUL, so "Subject: a\0 b" read as "a" and the
// words after the NUL were never judged; when the bytes hold a NUL, each
// value is read from them instead, whole.
struct HeaderSource {
    std::string_view bytes; ///< the bytes GMime parses
    bool has_nul = false;
    /// Fields the bound added to tell GMime an encoding, by offset.
    std::span<const size_t> added_fields;
};

struct WalkState {
    const Limits& limits;
    Tree& tree;
    Budget& budget;
    std::string_view message; ///< the bytes GMime parses
    GMimeStream* input;       ///< the stream over them
    HeaderSource headers;
    std::vector<detail::Multipart> multiparts;
};

// The Content-* headers of one entity, raw, in order.
struct EntityHeaders {
    std::vector<std::string> content_types;
    std::vector<std::string> dispositions;
    std::vector<std::string> encodings;
    std::vector<std::string> legacy_names;
    std::string content_id;
};

std::string safe(const char* text) {
    return text ? text : "";
}

// Unfolds a raw header value: line breaks go, the ends are trimmed.
std::string unfold(std::string_view raw) {
    raw = trim_folding_space(raw);
    std::string out;
    out.reserve(raw.size());
    // Copy the runs between line breaks whole; most values have none.
    // (An empty view may have no data at all, which memchr may not see.)
    while (!raw.empty()) {
        const void* lf = std::memchr(raw.data(), '\n', raw.size());
        size_t run =
            lf ? static_cast<size_t>(static_cast<const char*>(lf) - raw.data())
               : raw.size();
        std::string_view line = raw.substr(0, run);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        out.append(line);
        if (!lf)
            break;
        raw.remove_prefix(run + 1);
    }
    return out;
}

// A raw value as written, CR LF made LF and the field's own line end
// left off: the form SpamAssassin's ":raw" header rules read.
std::string as_written(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i)
        if (!(raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n'))
            out += raw[i];
    if (!out.empty() && out.back() == '\n')
        out.pop_back();
    if (!out.empty() && out.back() == '\r')
        out.pop_back();
    return out;
}

// "<id@host>" as "id@host", as GMime's getter gives it; read from the
// header list we walk anyway rather than looked up again.
std::string bare_id(std::string id) {
    if (id.size() >= 2 && id.front() == '<' && id.back() == '>')
        return id.substr(1, id.size() - 2);
    return id;
}

// The field that starts at offset: its first line and the lines that
// continue it (they start with a blank).
std::string_view field_at(std::string_view bytes, size_t offset) {
    std::string_view rest = bytes.substr(offset);
    size_t end = 0;
    do {
        size_t lf = rest.find('\n', end);
        end = lf == std::string_view::npos ? rest.size() : lf + 1;
    } while (end < rest.size() && (rest[end] == ' ' || rest[end] == '\t'));
    return rest.substr(0, end);
}

// A field's name without the blanks RFC 5322's obsolete syntax lets come
// before the colon: GMime keeps them, so "From : x" would be a field named
// "From " that no lookup by name ever finds.
std::string field_name(GMimeHeader* header) {
    std::string name = safe(g_mime_header_get_name(header));
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t'))
        name.pop_back();
    return name;
}

// A header's raw value as written, NULs and all; GMime's copy when the
// bytes at its offset are not that field.
std::string raw_value(const HeaderSource& source, GMimeHeader* header) {
    std::string value = safe(g_mime_header_get_raw_value(header));
    gint64 offset = g_mime_header_get_offset(header);
    if (!source.has_nul || offset < 0 ||
        static_cast<size_t>(offset) >= source.bytes.size())
        return value;
    std::string_view field =
        field_at(source.bytes, static_cast<size_t>(offset));
    std::string name = field_name(header);
    size_t colon = field.find(':');
    bool same =
        colon != std::string_view::npos && colon >= name.size() &&
        g_ascii_strncasecmp(field.data(), name.data(), name.size()) == 0 &&
        field.substr(name.size(), colon - name.size())
                .find_first_not_of(" \t") == std::string_view::npos;
    return same ? std::string(field.substr(colon + 1)) : value;
}

// The first value of a header, unfolded; empty when there is none.
std::string header_value(const HeaderSource& source, GMimeObject* object,
                         const char* name) {
    GMimeHeaderList* list = g_mime_object_get_header_list(object);
    int total = g_mime_header_list_get_count(list);
    for (int i = 0; i < total; ++i) {
        GMimeHeader* header = g_mime_header_list_get_header_at(list, i);
        if (g_ascii_strcasecmp(field_name(header).c_str(), name) == 0)
            return unfold(raw_value(source, header));
    }
    return "";
}

// Whether the bound added the field, which the message never held.
bool added(const HeaderSource& source, GMimeHeader* header) {
    gint64 offset = g_mime_header_get_offset(header);
    return offset >= 0 && std::binary_search(source.added_fields.begin(),
                                             source.added_fields.end(),
                                             static_cast<size_t>(offset));
}

EntityHeaders collect_entity_headers(const HeaderSource& source,
                                     GMimeObject* object) {
    EntityHeaders out;
    GMimeHeaderList* list = g_mime_object_get_header_list(object);
    int total = g_mime_header_list_get_count(list);
    for (int i = 0; i < total; ++i) {
        GMimeHeader* header = g_mime_header_list_get_header_at(list, i);
        if (added(source, header))
            continue;
        std::string field = field_name(header);
        const char* name = field.c_str();
        if (g_ascii_strcasecmp(name, "X-Sun-Data-Name") == 0)
            out.legacy_names.push_back(unfold(raw_value(source, header)));
        if (g_ascii_strncasecmp(name, "Content-", 8) != 0)
            continue;
        std::string value = raw_value(source, header);
        if (g_ascii_strcasecmp(name + 8, "Type") == 0)
            out.content_types.push_back(std::move(value));
        else if (g_ascii_strcasecmp(name + 8, "Disposition") == 0)
            out.dispositions.push_back(std::move(value));
        else if (g_ascii_strcasecmp(name + 8, "Transfer-Encoding") == 0)
            out.encodings.push_back(std::move(value));
        else if (g_ascii_strcasecmp(name + 8, "ID") == 0)
            out.content_id = bare_id(unfold(value));
        else if (g_ascii_strcasecmp(name + 8, "Name") == 0)
            out.legacy_names.push_back(unfold(value));
    }
    return out;
}

std::string join_tokens(const std::vector<std::string>& values) {
    std::string out;
    for (const std::string& v : values)
        out += (out.empty() ? "" : ", ") + parse_header_value(v).token;
    return out;
}

void flag_duplicate_parameters(Tree& tree, Part& part,
                               const HeaderValue& value) {
    for (const std::string& name : value.duplicates)
        add_anomaly(tree, &part, "MIME_DUPLICATE_PARAMETER", name);
}

// Sets value (and raw, when decoding changed it) from a parameter.
void take_parameter(const HeaderValue& header, std::string_view name,
                    std::string& value, std::string& raw) {
    const Parameter* p = header.find(name);
    if (!p)
        return;
    value = p->value;
    if (p->raw != p->value)
        raw = p->raw;
}

// Readers differ on which value of a repeated filename or name wins (the
// first, the last, the RFC 2231 one) and on which of two Content-Type or
// Content-Disposition headers counts, so every value given besides the
// ones kept is collected, each once, for the name checks.
void add_other_names(Part& part, const std::vector<std::string>& headers,
                     std::string_view parameter) {
    std::unordered_set<std::string> seen(part.other_names.begin(),
                                         part.other_names.end());
    seen.insert(part.filename);
    seen.insert(part.name);
    for (const std::string& header : headers) {
        HeaderValue value = parse_header_value(header);
        for (const Parameter* p : value.find_all(parameter)) {
            if (seen.insert(p->value).second)
                part.other_names.push_back(p->value);
        }
    }
}

// A repeated Content-* header is read as the first by some mail readers
// and as the last by others (GMime): two types, two decodings, or an
// attachment in one reading and inline text in the other.
void flag_duplicate_headers(Tree& tree, Part& part,
                            const EntityHeaders& headers) {
    if (headers.content_types.size() > 1)
        add_anomaly(tree, &part, "DUPLICATE_CONTENT_TYPE",
                    join_tokens(headers.content_types));
    if (headers.encodings.size() > 1)
        add_anomaly(tree, &part, "DUPLICATE_CTE",
                    join_tokens(headers.encodings));
    if (headers.dispositions.size() > 1)
        add_anomaly(tree, &part, "DUPLICATE_CONTENT_DISPOSITION",
                    join_tokens(headers.dispositions));
}

// The encoding is the value's leading token, as lenient readers take it
// (`base64;` is base64), and a value that held more is flagged.
void take_transfer_encoding(Tree& tree, Part& part, std::string_view raw) {
    std::string value = unfold(raw);
    TransferEncoding encoding = read_transfer_encoding(value);
    part.transfer_encoding = std::move(encoding.name);
    if (encoding.odd)
        add_anomaly(tree, &part, "MALFORMED_CTE", value);
}

// GMime's reading decides the tree, so the type is GMime's; when two
// Content-Type headers disagree, GMime keeps the last, and so do we for
// the parameters.
void describe_type(WalkState& state, GMimeObject* object, Part& part) {
    EntityHeaders headers = collect_entity_headers(state.headers, object);
    flag_duplicate_headers(state.tree, part, headers);

    GMimeContentType* type = g_mime_object_get_content_type(object);
    part.content_type = ascii_lower(
        fmt::format("{}/{}", safe(g_mime_content_type_get_media_type(type)),
                    safe(g_mime_content_type_get_media_subtype(type))));
    HeaderValue content_type = parse_header_value(
        headers.content_types.empty() ? "" : headers.content_types.back());
    flag_duplicate_parameters(state.tree, part, content_type);
    part.charset = ascii_lower(content_type.get("charset"));
    part.flowed_delsp = part.content_type == "text/plain" &&
                        ascii_lower(content_type.get("format")) == "flowed" &&
                        ascii_lower(content_type.get("delsp")) == "yes";
    take_parameter(content_type, "name", part.name, part.name_raw);
    if (GMIME_IS_MULTIPART(object))
        part.boundary = content_type.get("boundary");

    if (!headers.dispositions.empty()) {
        HeaderValue disposition =
            parse_header_value(headers.dispositions.back());
        flag_duplicate_parameters(state.tree, part, disposition);
        part.disposition = disposition.token;
        take_parameter(disposition, "filename", part.filename,
                       part.filename_raw);
    }
    add_other_names(part, headers.dispositions, "filename");
    add_other_names(part, headers.content_types, "name");
    for (const std::string& legacy : headers.legacy_names) {
        if (!legacy.empty())
            part.legacy_names.push_back(decode_encoded_words(legacy));
    }
    part.content_id = headers.content_id;
    if (!headers.encodings.empty())
        take_transfer_encoding(state.tree, part, headers.encodings.back());
}

bool known_encoding(std::string_view name) {
    static const char* known[] = {
        "7bit",       "8bit",     "binary", "base64", "quoted-printable",
        "x-uuencode", "uuencode", "x-uue"};
    for (const char* k : known) {
        if (name == k)
            return true;
    }
    return false;
}

// Reads from stream until it ends or more than max_bytes are read;
// length, when known, is what it can give at most, and is set aside at
// once rather than grown into by doubling.
std::string read_stream(GMimeStream* stream, gint64 length,
                        size_t max_bytes = SIZE_MAX) {
    std::string out;
    if (length > 0)
        out.reserve(std::min(static_cast<size_t>(length), max_bytes));
    char buffer[65536];
    while (out.size() <= max_bytes) {
        ssize_t n = g_mime_stream_read(stream, buffer, sizeof buffer);
        if (n <= 0)
            break;
        out.append(buffer, static_cast<size_t>(n));
    }
    return out;
}

std::string read_stream(GMimeStream* stream) {
    g_mime_stream_reset(stream);
    return read_stream(stream, g_mime_stream_length(stream));
}

// Decodes a body as g_mime_data_wrapper_write_to_stream() does, a slice
// at a time and no further than max_bytes and a slice: decoded into a
// memory stream and then copied, a part was held twice over and in full
// however little of it the decoded-size limit left room for.
std::string decode_with_gmime(GMimeDataWrapper* content, size_t max_bytes) {
    GMimeStream* source = g_mime_data_wrapper_get_stream(content);
    if (!source)
        return {};
    g_mime_stream_reset(source);
    gint64 length = g_mime_stream_length(source);
    GPtr<GMimeStream> filtered(g_mime_stream_filter_new(source));
    GMimeContentEncoding encoding = g_mime_data_wrapper_get_encoding(content);
    if (encoding == GMIME_CONTENT_ENCODING_BASE64 ||
        encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
        encoding == GMIME_CONTENT_ENCODING_UUENCODE) {
        GPtr<GMimeFilter> decoder(g_mime_filter_basic_new(encoding, FALSE));
        g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered.get()),
                                 decoder.get());
    }
    std::string out = read_stream(filtered.get(), length, max_bytes);
    g_mime_stream_reset(source);
    return out;
}

// The encoded body as a view into the message when GMime's content is a
// window on the input stream (it is, for a seekable input), else a copy.
std::string_view raw_content(const WalkState& state, GMimeStream* stream,
                             std::string& copy) {
    if (stream && stream->super_stream == state.input &&
        stream->bound_start >= 0 && stream->bound_end >= stream->bound_start &&
        static_cast<size_t>(stream->bound_end) <= state.message.size())
        return state.message.substr(
            static_cast<size_t>(stream->bound_start),
            static_cast<size_t>(stream->bound_end - stream->bound_start));
    copy = read_stream(stream);
    return copy;
}

// What the decoded-size limit leaves; files found inside parts count
// too, and may take the total past it.
size_t decoded_room(const WalkState& state) {
    return state.limits.decoded_bytes -
           std::min(state.limits.decoded_bytes, state.budget.decoded_total);
}

// Base64 is decoded here rather than by GMime, to count what the
// lenient decode skipped (junk, list footers) in the same pass. What
// the decoded-size limit leaves is kept, and a byte more to see it cut.
void decode_base64_leaf(WalkState& state, GMimeDataWrapper* content,
                        Part& part) {
    std::string copy;
    std::string_view raw =
        raw_content(state, g_mime_data_wrapper_get_stream(content), copy);
    Base64Stats stats = decode_base64(raw, part.decoded, decoded_room(state));
    if (stats.garbage_bytes > 0)
        add_anomaly(
            state.tree, &part, "BASE64_GARBAGE",
            fmt::format("{} bytes outside the alphabet", stats.garbage_bytes));
}

// Quoted-printable is decoded here too: GMime keeps the '=' and the
// blanks after it where a transport added blanks to a soft line break,
// which RFC 2045 section 6.7 has a decoder delete, so "conf= " then
// "idential" reads as a reader shows it, "confidential". Decoded within
// the limit, as base64 is.
void decode_quoted_printable_leaf(WalkState& state, GMimeDataWrapper* content,
                                  Part& part) {
    std::string copy;
    std::string_view raw =
        raw_content(state, g_mime_data_wrapper_get_stream(content), copy);
    part.decoded = decode_quoted_printable(raw, decoded_room(state));
}

// Decodes a body by the part's encoding, within what is left of the
// decoded-size budget.
void decode_content(WalkState& state, GMimeDataWrapper* content, Part& part) {
    // GMime reads the header itself and calls `quoted-printable;` no
    // encoding at all, so it is told the token this view decided on.
    GMimeContentEncoding encoding =
        g_mime_content_encoding_from_string(part.transfer_encoding.c_str());
    if (encoding != GMIME_CONTENT_ENCODING_DEFAULT)
        g_mime_data_wrapper_set_encoding(content, encoding);
    if (part.transfer_encoding == "base64")
        decode_base64_leaf(state, content, part);
    else if (part.transfer_encoding == "quoted-printable")
        decode_quoted_printable_leaf(state, content, part);
    else
        part.decoded = decode_with_gmime(content, decoded_room(state));

    size_t room = decoded_room(state);
    if (part.decoded.size() > room) {
        add_anomaly(state.tree, &part, "DECODED_SIZE_LIMIT",
                    fmt::format("limit {}", state.limits.decoded_bytes));
        part.decoded.resize(room);
        state.tree.limit_hit = true;
    }
    state.budget.decoded_total += part.decoded.size();
}

void decode_leaf(WalkState& state, GMimePart* leaf, Part& part) {
    if (part.transfer_encoding.empty())
        part.transfer_encoding = "7bit";
    else if (!known_encoding(part.transfer_encoding)) {
        // RFC 2045 section 6.4: an unknown encoding makes the part opaque.
        add_anomaly(state.tree, &part, "UNKNOWN_CTE", part.transfer_encoding);
        part.declared_type = part.content_type;
        part.content_type = "application/octet-stream";
    }
    GMimeDataWrapper* content = g_mime_part_get_content(leaf);
    if (content)
        decode_content(state, content, part);
}

// Where an entity's header block starts in the bytes GMime parsed: at its
// first field; npos when GMime kept none.
size_t header_start(GMimeObject* object) {
    GMimeHeaderList* list = g_mime_object_get_header_list(object);
    int total = g_mime_header_list_get_count(list);
    size_t start = std::string_view::npos;
    for (int i = 0; i < total; ++i) {
        gint64 offset =
            g_mime_header_get_offset(g_mime_header_list_get_header_at(list, i));
        if (offset >= 0)
            start = std::min(start, static_cast<size_t>(offset));
    }
    return start;
}

// Whether a line is a delimiter of boundary as GMime reads one: "--",
// the boundary, an optional "--", then white space only.
bool is_delimiter(std::string_view line, std::string_view boundary) {
    if (!line.starts_with("--") || line.size() < boundary.size() + 2 ||
        line.substr(2, boundary.size()) != boundary)
        return false;
    std::string_view rest = line.substr(boundary.size() + 2);
    if (rest.starts_with("--"))
        rest.remove_prefix(2);
    return rest.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// The boundaries of the multiparts around the part at path: GMime ends
// a body at a delimiter of any of them.
std::vector<std::string_view> enclosing_boundaries(const WalkState& state,
                                                   const std::string& path) {
    std::vector<std::string_view> out;
    for (const detail::Multipart& m : state.multiparts) {
        if (!m.boundary.empty() && path.size() > m.path.size() &&
            path.starts_with(m.path) && path[m.path.size()] == '.')
            out.push_back(m.boundary);
    }
    return out;
}

// A message part's body in the bytes GMime parsed, as a stream over them:
// from the line after the header block that starts at offset to the
// delimiter that ends the part, whose line break belongs to it.
GPtr<GMimeStream> message_part_body(const WalkState& state, size_t offset,
                                    const std::string& path) {
    std::vector<std::string_view> boundaries =
        enclosing_boundaries(state, path);
    std::string_view bytes = state.message;
    size_t body = std::string_view::npos;
    size_t end = bytes.size();
    for (size_t pos = offset; pos < bytes.size();) {
        size_t lf = bytes.find('\n', pos);
        size_t next = lf == std::string_view::npos ? bytes.size() : lf + 1;
        std::string_view line = bytes.substr(pos, next - pos);
        if (std::any_of(
                boundaries.begin(), boundaries.end(),
                [&](std::string_view b) { return is_delimiter(line, b); })) {
            end = pos;
            break;
        }
        if (body == std::string_view::npos && (line == "\n" || line == "\r\n"))
            body = next;
        pos = next;
    }
    if (body == std::string_view::npos)
        body = end;
    if (end > body && bytes[end - 1] == '\n')
        --end;
    if (end > body && bytes[end - 1] == '\r')
        --end;
    return GPtr<GMimeStream>(g_mime_stream_substream(
        state.input, static_cast<gint64>(body), static_cast<gint64>(end)));
}

// GMime takes a message/rfc822 for encoded by its first
// Content-Transfer-Encoding and by its own reading of it, which ends the
// name at a blank only. The bound tells it this view's reading where it
// can (mime_bound.cpp); where not (`7bit` then `base64`, a value folded
// onto its next line), GMime parses the encoded lines as the message.
// Mail readers decode such a part, so its body is taken from the bytes
// and decoded like a leaf's; true when it was.
bool decode_message_part(WalkState& state, GMimeObject* object, Part& part) {
    if (!detail::is_encoded(part.transfer_encoding))
        return false;
    size_t offset = header_start(object);
    if (offset >= state.message.size())
        return false;
    GPtr<GMimeStream> body = message_part_body(state, offset, part.path);
    GPtr<GMimeDataWrapper> content(g_mime_data_wrapper_new_with_stream(
        body.get(), GMIME_CONTENT_ENCODING_DEFAULT));
    decode_content(state, content.get(), part);
    part.is_message = false;
    return true;
}

bool looks_like_attachment(const Part& part) {
    if (part.is_multipart || part.is_message)
        return part.is_message && !part.display_name().empty();
    if (part.disposition == "attachment")
        return true;
    if (!part.display_name().empty())
        return true;
    // Outlook shows any leaf that is not body text as an attachment.
    return part.content_type.rfind("text/", 0) != 0 &&
           part.content_type.rfind("multipart/", 0) != 0;
}

bool within_limits(WalkState& state, int depth);
bool opens_as_message(const Part& leaf);
void read_encoded_message(WalkState& state, size_t index);

// Files found inside a leaf (uuencoded in text, packed in TNEF) follow
// it in the part list as its children, policed like any attachment.
void add_embedded(WalkState& state, size_t parent_index) {
    size_t budget = static_cast<size_t>(
        std::max(0, state.limits.mime_parts - state.budget.part_count));
    // One file more than the budget is asked for, so reaching the part
    // limit inside a text or TNEF part is seen and flagged, never silent.
    std::vector<Part> children =
        detail::embedded_parts(state.tree, state.tree.parts[parent_index],
                               budget + 1, decoded_room(state), state.limits);
    if (children.size() > budget) {
        children.resize(budget);
        if (!state.tree.has_anomaly("MIME_TOO_MANY_PARTS"))
            add_anomaly(state.tree, nullptr, "MIME_TOO_MANY_PARTS",
                        fmt::format("limit {}", state.limits.mime_parts));
        state.tree.limit_hit = true;
    }
    for (Part& child : children) {
        ++state.budget.part_count;
        state.budget.decoded_total += child.decoded.size();
        detail::check_filenames(state.tree, child);
        state.tree.parts.push_back(std::move(child));
        // A file may hold files in turn: a winmail.dat packed in another,
        // a forwarded .eml in a TNEF. Readers open each in turn, so each
        // is read, as deep as nesting is allowed.
        size_t index = state.tree.parts.size() - 1;
        const Part& added = state.tree.parts[index];
        if ((is_tnef(added.decoded) || opens_as_message(added)) &&
            within_limits(state, added.depth + 1)) {
            add_embedded(state, index);
            read_encoded_message(state, index);
        }
    }
}

void walk(WalkState& state, GMimeObject* object, int depth,
          const std::string& path);

bool read_message(const Limits& limits, Tree& tree, Budget& budget,
                  std::string_view raw, const std::string& path, int depth,
                  std::string* subject);

bool within_limits(WalkState& state, int depth);

// RFC 2046 section 5.2.1 forbids encoding a message/rfc822 part in base64
// or quoted-printable, so GMime leaves one as an opaque leaf (or, when it
// reads the encoding otherwise, a message of encoded lines, decoded by
// decode_message_part()); mail readers decode it and show the message
// inside, attachments and all. It is decoded and read here like any
// attached message; within the depth limit only, or it stays a leaf,
// judged by its bytes.
// A file named .eml that starts as a message is read the same way, whatever
// its declared type: Thunderbird and Outlook open one as the message it
// is, attachments and all, and a forward sent as application/octet-stream
// carried a program no rule judged.
bool opens_as_message(const Part& leaf) {
    if (is_message_type(leaf.content_type))
        return true;
    return final_extension(leaf.display_name()) == "eml" &&
           mail::starts_with_header(saved_message_start(leaf.decoded));
}

void read_encoded_message(WalkState& state, size_t index) {
    Part& leaf = state.tree.parts[index];
    if (!opens_as_message(leaf) ||
        leaf.decoded.find_first_not_of(" \t\r\n") == std::string::npos ||
        !within_limits(state, leaf.depth + 1))
        return;
    bool declared = is_message_type(leaf.content_type);
    std::string inner = std::move(leaf.decoded);
    std::string path = leaf.path + ".1";
    std::string encoding = leaf.transfer_encoding;
    std::string subject;
    if (!read_message(state.limits, state.tree, state.budget,
                      saved_message_start(inner), path, leaf.depth + 1,
                      &subject)) {
        state.tree.parts[index].decoded = std::move(inner);
        return;
    }
    Part& message = state.tree.parts[index];
    message.subject = std::move(subject);
    message.is_message = true;
    message.is_attachment = looks_like_attachment(message);
    if (declared)
        add_anomaly(state.tree, &message, "MIME_ENCODED_MESSAGE", encoding);
}

void walk_children(WalkState& state, GMimeObject* object, int depth,
                   const std::string& path, size_t index) {
    if (GMIME_IS_MULTIPART(object)) {
        GMimeMultipart* multipart = GMIME_MULTIPART(object);
        int count = g_mime_multipart_get_count(multipart);
        for (int i = 0; i < count; ++i) {
            walk(state, g_mime_multipart_get_part(multipart, i), depth + 1,
                 fmt::format("{}.{}", path, i + 1));
        }
        return;
    }
    if (GMIME_IS_MESSAGE_PART(object)) {
        GMimeMessage* inner =
            g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
        if (inner)
            state.tree.parts[index].subject =
                header_value(state.headers, GMIME_OBJECT(inner), "Subject");
        if (inner && g_mime_message_get_mime_part(inner))
            walk(state, g_mime_message_get_mime_part(inner), depth + 1,
                 path + ".1");
    }
}

bool within_limits(WalkState& state, int depth) {
    Budget& budget = state.budget;
    if (budget.out_of_time || (budget.out_of_time = deadline_passed()))
        return false;
    if (depth > state.limits.mime_depth) {
        if (!state.tree.has_anomaly("MIME_NESTING_TOO_DEEP"))
            add_anomaly(state.tree, nullptr, "MIME_NESTING_TOO_DEEP",
                        fmt::format("limit {}", state.limits.mime_depth));
        state.tree.limit_hit = true;
        return false;
    }
    if (budget.part_count >= state.limits.mime_parts) {
        if (!state.tree.has_anomaly("MIME_TOO_MANY_PARTS"))
            add_anomaly(state.tree, nullptr, "MIME_TOO_MANY_PARTS",
                        fmt::format("limit {}", state.limits.mime_parts));
        state.tree.limit_hit = true;
        return false;
    }
    return true;
}

void walk(WalkState& state, GMimeObject* object, int depth,
          const std::string& path) {
    if (!within_limits(state, depth))
        return;
    ++state.budget.part_count;

    Part part;
    part.path = path;
    part.depth = depth;
    part.is_multipart = GMIME_IS_MULTIPART(object);
    part.is_message = GMIME_IS_MESSAGE_PART(object);
    describe_type(state, object, part);
    if (part.is_multipart) {
        if (part.boundary.empty())
            add_anomaly(state.tree, &part, "MIME_MISSING_BOUNDARY");
        state.multiparts.push_back({part.boundary, path});
    }
    bool leaf = GMIME_IS_PART(object) ||
                (part.is_message && decode_message_part(state, object, part));
    if (GMIME_IS_PART(object)) {
        decode_leaf(state, GMIME_PART(object), part);
        if (detail::is_text_body(part) && part.disposition != "attachment")
            detail::check_zero_width(state.tree, part);
    }
    part.is_attachment = looks_like_attachment(part);
    detail::check_filenames(state.tree, part);
    state.tree.parts.push_back(std::move(part));
    size_t index = state.tree.parts.size() - 1;
    if (leaf) {
        add_embedded(state, index);
        read_encoded_message(state, index);
        return;
    }
    walk_children(state, object, depth, path, index);
}

void collect_headers(const HeaderSource& source, GMimeObject* object,
                     Tree& tree) {
    GMimeHeaderList* list = g_mime_object_get_header_list(object);
    int total = g_mime_header_list_get_count(list);
    for (int i = 0; i < total; ++i) {
        GMimeHeader* header = g_mime_header_list_get_header_at(list, i);
        if (added(source, header))
            continue;
        std::string raw = raw_value(source, header);
        tree.headers.push_back(
            {field_name(header), unfold(raw), as_written(raw)});
    }
}

void check_message_headers(Tree& tree) {
    size_t from_count = tree.header_all("From").size();
    if (from_count > 1)
        add_anomaly(tree, nullptr, "MULTIPLE_FROM_HEADERS",
                    fmt::format("{} From headers", from_count));
    std::string subject = decode_encoded_words(tree.header("Subject"));
    // A NUL shows as nothing; the words on either side of it are read.
    std::erase(subject, '\0');
    if (has_zero_width(subject))
        add_anomaly(tree, nullptr, "ZERO_WIDTH_CHARS", "subject");
    tree.subject = strip_zero_width(subject);
}

void flag_cut_blocks(Tree& tree, size_t cut_blocks, const Limits& limits,
                     const std::string& path, bool top) {
    if (cut_blocks == 0)
        return;
    std::string detail =
        fmt::format("{} block{} over the limit of {} fields", cut_blocks,
                    cut_blocks == 1 ? "" : "s", limits.header_fields);
    if (top) {
        if (!tree.has_anomaly("HEADER_BLOCK_TOO_LARGE"))
            add_anomaly(tree, nullptr, "HEADER_BLOCK_TOO_LARGE", detail);
        return;
    }
    auto part =
        std::find_if(tree.parts.begin(), tree.parts.end(), [&](const Part& p) {
            return p.path == path && p.origin == Origin::mime;
        });
    if (part != tree.parts.end())
        add_anomaly(tree, &*part, "HEADER_BLOCK_TOO_LARGE", detail);
}

// Parses one message's bytes with GMime and walks them into the tree at
// path: the message itself ("1", at depth 0), or one decoded from an
// encoded message part, whose Subject goes to subject. Returns false when
// GMime finds no message.
bool read_message(const Limits& limits, Tree& tree, Budget& budget,
                  std::string_view original, const std::string& path, int depth,
                  std::string* subject) {
    bool top = depth == 0;
    std::string readable;
    std::string_view raw = mail::readable_line_ends(original, readable);
    std::string bounded;
    detail::Bounding bounding;
    std::string_view bytes =
        detail::bound_header_blocks(raw, limits, bounded, bounding);
    GPtr<GMimeStream> input(
        g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size()));
    GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(input.get()));
    // No warning callback: with one set, GMime parses every address header
    // to report on it, a quarter of the parse time, and the walk finds
    // what matters itself.
    // GMime flattens nesting beyond its own limit (about 512) into a leaf
    // without telling; Limits::most_mime_depth keeps ours well below it.
    // The message is read as one entity: its header list keeps every
    // field as written, and GMime skips decoding addresses and dates that
    // nobody here reads (a sixth of its parse time).
    GPtr<GMimeObject> parsed(
        g_mime_parser_construct_part(parser.get(), nullptr));
    if (!parsed)
        return false;
    if (!budget.out_of_time)
        budget.out_of_time = deadline_passed();
    if (budget.out_of_time)
        return true;

    HeaderSource headers{
        bytes, std::memchr(bytes.data(), '\0', bytes.size()) != nullptr,
        bounding.added_fields};
    WalkState state{limits, tree, budget, bytes, input.get(), headers, {}};
    if (top) {
        collect_headers(headers, parsed.get(), tree);
        check_message_headers(tree);
    }
    if (subject)
        *subject = header_value(headers, parsed.get(), "Subject");
    walk(state, parsed.get(), depth, path);
    if (budget.out_of_time)
        return true;
    detail::scan_raw(raw, original, state.multiparts, limits, tree,
                     {top ? "" : path, path});
    detail::check_boundary_prefixes(state.multiparts, tree);
    flag_cut_blocks(tree, bounding.cut_blocks, limits, path, top);
    // The walk counts the parts it was given; those left out are past the
    // limit whatever it counted.
    if (bounding.cut_parts) {
        if (!tree.has_anomaly("MIME_TOO_MANY_PARTS"))
            add_anomaly(tree, nullptr, "MIME_TOO_MANY_PARTS",
                        fmt::format("limit {}", limits.mime_parts));
        tree.limit_hit = true;
    }
    return true;
}

} // namespace

namespace detail {

bool is_encoded(std::string_view transfer_encoding) {
    switch (g_mime_content_encoding_from_string(
        std::string(transfer_encoding).c_str())) {
    case GMIME_CONTENT_ENCODING_BASE64:
    case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE:
    case GMIME_CONTENT_ENCODING_UUENCODE:
        return true;
    default:
        return false;
    }
}

void add_anomaly(Tree& tree, Part* part, std::string id, std::string detail) {
    if (part) {
        if (std::find(part->anomalies.begin(), part->anomalies.end(), id) ==
            part->anomalies.end())
            part->anomalies.push_back(id);
        tree.anomalies.push_back(
            {std::move(id), part->path, std::move(detail)});
        return;
    }
    tree.anomalies.push_back({std::move(id), "", std::move(detail)});
}

} // namespace detail

std::string_view to_string(Origin origin) {
    switch (origin) {
    case Origin::mime:
        return "mime";
    case Origin::uuencode:
        return "uuencode";
    case Origin::tnef:
        return "tnef";
    case Origin::yenc:
        return "yenc";
    case Origin::binhex:
        return "binhex";
    }
    return "mime";
}

std::string Tree::header(std::string_view name) const {
    for (const Header& h : headers) {
        if (h.name.size() == name.size() &&
            strncasecmp(h.name.data(), name.data(), name.size()) == 0)
            return h.value;
    }
    return "";
}

std::vector<std::string> Tree::header_all(std::string_view name) const {
    std::vector<std::string> values;
    for (const Header& h : headers) {
        if (h.name.size() == name.size() &&
            strncasecmp(h.name.data(), name.data(), name.size()) == 0)
            values.push_back(h.value);
    }
    return values;
}

bool Tree::has_anomaly(std::string_view id) const {
    return std::any_of(anomalies.begin(), anomalies.end(),
                       [&](const Anomaly& a) { return a.id == id; });
}

bool starts_with_from_line(std::string_view text) {
    if (text.substr(0, 5) != "From ")
        return false;
    size_t next = text.find_first_not_of(" \t", 5);
    return next == std::string_view::npos || text[next] != ':';
}

bool is_message_type(std::string_view type) {
    for (std::string_view name : {"message/rfc822", "message/rfc2822",
                                  "message/global", "message/news"}) {
        if (equals_ci(type, name))
            return true;
    }
    return false;
}

std::string_view skip_from_line(std::string_view message) {
    if (!starts_with_from_line(message))
        return message;
    size_t eol = message.find('\n');
    return eol == std::string_view::npos ? std::string_view{}
                                         : message.substr(eol + 1);
}

std::string_view saved_message_start(std::string_view data) {
    constexpr std::string_view byte_order_mark = "\xEF\xBB\xBF";
    if (data.starts_with(byte_order_mark))
        data.remove_prefix(byte_order_mark.size());
    return skip_from_line(data);
}

Result<Tree> parse(std::string_view message, const Limits& limits) {
    ensure_gmime();
    message = skip_from_line(message);
    if (message.find_first_not_of(" \t\r\n") == std::string_view::npos)
        return Error{"mime", "empty message"};
    Tree tree;
    Budget budget;
    if (!read_message(limits, tree, budget, message, "1", 0, nullptr))
        return Error{"mime", "not a message"};
    // The message's deadline is checked between the steps GMime and our
    // loops take: a message that runs out of time fails alone.
    if (budget.out_of_time)
        return Error{"mime", "the time limit passed", ExitCode::temp_fail};
    if (tree.has_anomaly("HEADER_BLOCK_TOO_LARGE"))
        tree.limit_hit = true;
    return tree;
}

} // namespace portcullis::mime
