// The strict parse. GMime reads the message; the walk flattens its tree,
// decodes each leaf once, and flags what a scanner must not take on trust.
// g_mime_multipart_get_boundary() is never called: on a multipart without
// a boundary it generates one, and Debian's GMime 3.2.13 can loop forever
// doing so (jstedfast/gmime#165).
#include "mail/mime.hpp"

#include "mail/gmime_support.hpp"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>

namespace portcullis::mime {

namespace {

struct ParserWarning {
    int64_t offset;
    GMimeParserWarning code;
    std::string item;
};

struct WalkState {
    const Limits& limits;
    Tree& tree;
    int part_count = 0;
};

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return out;
}

std::string safe(const char* text) {
    return text ? text : "";
}

void on_warning(gint64 offset, GMimeParserWarning code, const gchar* item,
                gpointer user_data) {
    auto* warnings = static_cast<std::vector<ParserWarning>*>(user_data);
    if (warnings->size() < 1000)
        warnings->push_back({offset, code, safe(item)});
}

void add_anomaly(Tree& tree, Part* part, std::string id,
                 std::string detail = {}) {
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

int count_headers(GMimeObject* object, const char* name) {
    GMimeHeaderList* list = g_mime_object_get_header_list(object);
    int count = 0;
    int total = g_mime_header_list_get_count(list);
    for (int i = 0; i < total; ++i) {
        GMimeHeader* header = g_mime_header_list_get_header_at(list, i);
        if (g_ascii_strcasecmp(g_mime_header_get_name(header), name) == 0)
            ++count;
    }
    return count;
}

std::string raw_header(GMimeObject* object, const char* name) {
    GMimeHeaderList* list = g_mime_object_get_header_list(object);
    GMimeHeader* header = g_mime_header_list_get_header(list, name);
    return header ? safe(g_mime_header_get_raw_value(header)) : "";
}

void describe_type(GMimeObject* object, Part& part) {
    GMimeContentType* type = g_mime_object_get_content_type(object);
    part.content_type = lower(
        fmt::format("{}/{}", safe(g_mime_content_type_get_media_type(type)),
                    safe(g_mime_content_type_get_media_subtype(type))));
    part.charset =
        lower(safe(g_mime_content_type_get_parameter(type, "charset")));
    part.name = safe(g_mime_content_type_get_parameter(type, "name"));
    if (GMimeContentDisposition* disposition =
            g_mime_object_get_content_disposition(object)) {
        part.disposition = lower(
            safe(g_mime_content_disposition_get_disposition(disposition)));
        part.filename = safe(
            g_mime_content_disposition_get_parameter(disposition, "filename"));
    }
    part.content_id = safe(g_mime_object_get_content_id(object));
}

void check_headers(Tree& tree, GMimeObject* object, Part& part) {
    if (count_headers(object, "Content-Type") > 1)
        add_anomaly(tree, &part, "DUPLICATE_CONTENT_TYPE");
    if (count_headers(object, "Content-Transfer-Encoding") > 1)
        add_anomaly(tree, &part, "DUPLICATE_CTE");
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

std::string trim(std::string_view text) {
    size_t b = text.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos)
        return "";
    size_t e = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(b, e - b + 1));
}

void decode_leaf(Tree& tree, GMimePart* leaf, Part& part,
                 const Limits& limits) {
    std::string cte = lower(
        trim(raw_header(GMIME_OBJECT(leaf), "Content-Transfer-Encoding")));
    part.transfer_encoding = cte.empty() ? "7bit" : cte;
    if (!cte.empty() && !known_encoding(cte)) {
        // RFC 2045 section 6.4: an unknown encoding makes the part opaque.
        add_anomaly(tree, &part, "UNKNOWN_CTE", cte);
        part.declared_type = part.content_type;
        part.content_type = "application/octet-stream";
    }
    GMimeDataWrapper* content = g_mime_part_get_content(leaf);
    if (!content)
        return;
    GPtr<GMimeStream> out(g_mime_stream_mem_new());
    g_mime_data_wrapper_write_to_stream(content, out.get());
    GByteArray* bytes =
        g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out.get()));
    size_t size = std::min<size_t>(bytes->len, limits.decoded_bytes);
    if (size < bytes->len)
        add_anomaly(tree, &part, "DECODED_SIZE_LIMIT");
    part.decoded.assign(reinterpret_cast<const char*>(bytes->data), size);
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

void walk(WalkState& state, GMimeObject* object, int depth,
          const std::string& path);

void walk_children(WalkState& state, GMimeObject* object, int depth,
                   const std::string& path) {
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
        if (inner && g_mime_message_get_mime_part(inner))
            walk(state, g_mime_message_get_mime_part(inner), depth + 1,
                 path + ".1");
    }
}

void walk(WalkState& state, GMimeObject* object, int depth,
          const std::string& path) {
    if (depth > state.limits.mime_depth) {
        if (!state.tree.limit_hit ||
            !state.tree.has_anomaly("MIME_NESTING_TOO_DEEP"))
            add_anomaly(state.tree, nullptr, "MIME_NESTING_TOO_DEEP",
                        fmt::format("limit {}", state.limits.mime_depth));
        state.tree.limit_hit = true;
        return;
    }
    if (state.part_count >= state.limits.mime_parts) {
        if (!state.tree.has_anomaly("MIME_TOO_MANY_PARTS"))
            add_anomaly(state.tree, nullptr, "MIME_TOO_MANY_PARTS",
                        fmt::format("limit {}", state.limits.mime_parts));
        state.tree.limit_hit = true;
        return;
    }
    ++state.part_count;

    Part part;
    part.path = path;
    part.depth = depth;
    part.is_multipart = GMIME_IS_MULTIPART(object);
    part.is_message = GMIME_IS_MESSAGE_PART(object);
    describe_type(object, part);
    check_headers(state.tree, object, part);
    if (GMIME_IS_PART(object))
        decode_leaf(state.tree, GMIME_PART(object), part, state.limits);
    part.is_attachment = looks_like_attachment(part);
    state.tree.parts.push_back(std::move(part));
    walk_children(state, object, depth, path);
}

void collect_headers(GMimeObject* object, Tree& tree) {
    GMimeHeaderList* list = g_mime_object_get_header_list(object);
    int total = g_mime_header_list_get_count(list);
    for (int i = 0; i < total; ++i) {
        GMimeHeader* header = g_mime_header_list_get_header_at(list, i);
        tree.headers.push_back({safe(g_mime_header_get_name(header)),
                                safe(g_mime_header_get_raw_value(header))});
    }
}

} // namespace

std::string_view to_string(Origin origin) {
    switch (origin) {
    case Origin::mime:
        return "mime";
    case Origin::uuencode:
        return "uuencode";
    case Origin::tnef:
        return "tnef";
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

std::string_view skip_from_line(std::string_view message) {
    if (message.substr(0, 5) != "From ")
        return message;
    size_t eol = message.find('\n');
    return eol == std::string_view::npos ? std::string_view{}
                                         : message.substr(eol + 1);
}

Result<Tree> parse(std::string_view message, const Limits& limits) {
    ensure_gmime();
    message = skip_from_line(message);
    Tree tree;

    GPtr<GMimeStream> input(
        g_mime_stream_mem_new_with_buffer(message.data(), message.size()));
    GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(input.get()));
    GMimeParserOptions* options = g_mime_parser_options_new();
    std::vector<ParserWarning> warnings;
    g_mime_parser_options_set_warning_callback(options, on_warning, &warnings);
    GPtr<GMimeMessage> parsed(
        g_mime_parser_construct_message(parser.get(), options));
    g_mime_parser_options_free(options);
    if (!parsed)
        return Error{"mime", "not a message"};

    collect_headers(GMIME_OBJECT(parsed.get()), tree);
    WalkState state{limits, tree};
    if (GMimeObject* body = g_mime_message_get_mime_part(parsed.get()))
        walk(state, body, 0, "1");
    return tree;
}

} // namespace portcullis::mime
