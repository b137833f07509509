// What a decoded part hides from a reader or a rule: file name tricks,
// zero-width characters in body text, and whole files inside it, as
// uuencoded, yEnc or BinHex blocks in text or packed in a TNEF
// (winmail.dat) stream.
#include "mail/binhex.hpp"
#include "mail/filename.hpp"
#include "mail/mime_detail.hpp"
#include "mail/tnef.hpp"
#include "mail/uuencode.hpp"
#include "mail/zero_width.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace portcullis::mime::detail {

namespace {

// RFC 1741 sends a BinHex file as an attachment of its own type, which
// mail readers decode on saving; in text, a block is a file too.
bool carries_binhex(const Part& part) {
    return is_text_body(part) || is_binhex_type(part.content_type);
}

bool is_tnef_part(const Part& part) {
    return part.content_type == "application/ms-tnef" ||
           part.content_type == "application/vnd.ms-tnef" ||
           is_tnef(part.decoded);
}

Part embedded_part(const Part& parent, size_t index, Origin origin,
                   EmbeddedFile& file) {
    Part child;
    child.path = fmt::format("{}.{}", parent.path, index + 1);
    child.depth = parent.depth + 1;
    child.origin = origin;
    child.content_type = "application/octet-stream";
    child.filename = std::move(file.name);
    child.other_names = std::move(file.other_names);
    child.decoded = std::move(file.data);
    child.is_attachment = true;
    return child;
}

// The files a leaf holds and where they came from.
std::vector<EmbeddedFile> find_files(Tree& tree, Part& leaf, size_t max_files,
                                     size_t max_bytes, Origin& origin) {
    origin = Origin::uuencode;
    if (is_text_body(leaf) && may_hold_uuencoded(leaf.decoded))
        return find_uuencoded(leaf.decoded, max_files);
    if (!is_tnef_part(leaf))
        return {};
    origin = Origin::tnef;
    auto contents = unpack_tnef(leaf.decoded, max_files, max_bytes);
    if (!contents)
        return {};
    for (const std::string& problem : contents->problems)
        add_anomaly(tree, &leaf, "TNEF_MALFORMED", problem);
    return std::move(contents->files);
}

} // namespace

bool is_text_body(const Part& part) {
    return part.content_type.rfind("text/", 0) == 0;
}

void check_filenames(Tree& tree, Part& part) {
    std::vector<std::string> ids = filename_anomalies(part.filename);
    std::vector<const std::string*> others = {&part.name};
    for (const std::string& legacy : part.legacy_names)
        others.push_back(&legacy);
    for (const std::string& other : part.other_names)
        others.push_back(&other);
    for (const std::string* name : others) {
        for (std::string& id : filename_anomalies(*name)) {
            if (std::find(ids.begin(), ids.end(), id) == ids.end())
                ids.push_back(std::move(id));
        }
    }
    for (std::string& id : ids)
        add_anomaly(tree, &part, std::move(id),
                    escape_hidden(part.display_name()));
    // Libraries and MUAs disagree on which of the two wins; both count.
    if (!part.filename.empty() && !part.name.empty() &&
        part.filename != part.name)
        add_anomaly(tree, &part, "ATTACHMENT_NAME_MISMATCH",
                    fmt::format("name \"{}\", filename \"{}\"",
                                escape_hidden(part.name),
                                escape_hidden(part.filename)));
}

void check_zero_width(Tree& tree, Part& part) {
    bool unicode = part.charset.empty() || part.charset == "utf-8" ||
                   part.charset == "us-ascii" || part.charset == "utf8";
    bool html = part.content_type == "text/html";
    if ((unicode && has_zero_width(part.decoded)) ||
        (html && has_zero_width_entity(part.decoded)))
        add_anomaly(tree, &part, "ZERO_WIDTH_CHARS", "body");
}

namespace {

// BinHex blocks, which Mac mail readers show as files; a damaged block
// is judged as far as it decodes, and the damage is noted. A run turns a
// few bytes into many, so the output is held to max_bytes.
void add_binhex(Tree& tree, Part& leaf, size_t max_files, size_t max_bytes,
                const Limits& limits, std::vector<Part>& children) {
    BinhexContents binhex = find_binhex(
        leaf.decoded, max_files - std::min(max_files, children.size()),
        max_bytes, limits.expansion_ratio);
    for (const std::string& problem : binhex.problems)
        add_anomaly(tree, &leaf, "BINHEX_MALFORMED", problem);
    if (binhex.limit_hit) {
        add_anomaly(
            tree, &leaf, "DECODED_SIZE_LIMIT",
            binhex.ratio_hit
                ? fmt::format("expansion limit {}", limits.expansion_ratio)
                : fmt::format("limit {}", limits.decoded_bytes));
        tree.limit_hit = true;
    }
    for (EmbeddedFile& file : binhex.files)
        children.push_back(
            embedded_part(leaf, children.size(), Origin::binhex, file));
}

} // namespace

std::vector<Part> embedded_parts(Tree& tree, Part& leaf, size_t max_files,
                                 size_t max_bytes, const Limits& limits) {
    Origin origin = Origin::uuencode;
    std::vector<EmbeddedFile> files =
        find_files(tree, leaf, max_files, max_bytes, origin);
    std::vector<Part> children;
    for (size_t i = 0; i < files.size(); ++i)
        children.push_back(embedded_part(leaf, i, origin, files[i]));
    // yEnc blocks, which news readers and Thunderbird show as files, may
    // stand in the same text as uuencoded ones.
    if (is_text_body(leaf) && may_hold_yenc(leaf.decoded)) {
        std::vector<EmbeddedFile> yenc = find_yenc(
            leaf.decoded, max_files - std::min(max_files, children.size()));
        for (size_t i = 0; i < yenc.size(); ++i)
            children.push_back(
                embedded_part(leaf, children.size(), Origin::yenc, yenc[i]));
    }
    if (carries_binhex(leaf) && may_hold_binhex(leaf.decoded))
        add_binhex(tree, leaf, max_files, max_bytes, limits, children);
    return children;
}

} // namespace portcullis::mime::detail
