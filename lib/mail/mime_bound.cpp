// Header blocks bounded before GMime parses them. GMime keeps every header
// field as an object of its own: a 16 MB block of empty fields took 2.7 GB
// and nine seconds, whether it was the message's block or a part's. Every
// header block over a limit is cut at the last whole field within both;
// the bytes after it follow unchanged, and the raw scan still sees the
// whole block. Blanks that end a quoted boundary are dropped here too.
//
// Parts are bounded the same way: GMime builds an object for each, and a
// 21 MB message of three million empty parts took 4 GB before the part
// limit was checked. What follows the delimiter of the part after the
// limit is left out, so the walk still sees the limit passed.
//
// The blocks are found without a MIME parse, which is what they must be
// bounded for: the message's own, each part's (after a line opening with
// "--" and a boundary an earlier block declared), and each embedded
// message's (after a block whose Content-Type is message/*).
//
// A block whose attached message GMime would take for unencoded while
// the views decode it (`base64;`) gets a field first that tells GMime
// their encoding, so GMime leaves the body to be decoded, as it does
// under `base64`; the walk passes over that field.
#include "core/strings.hpp"
#include "mail/mime_detail.hpp"

#include "mail/header_edit.hpp"
#include "mail/params.hpp"

#include <algorithm>
#include <set>
#include <unordered_set>

namespace portcullis::mime::detail {

namespace {

// Boundaries longer than this are compared on their first bytes only;
// RFC 2046 allows 70, and a longer one still opens a delimiter line.
constexpr size_t max_boundary_bytes = 200;
// Beyond this many distinct boundaries, every line opening with "--" is
// taken for a delimiter: more blocks are bounded, none is missed.
constexpr size_t max_boundaries = 1000;

// Finds a lower-case word in text, ignoring case.
size_t find_ci(std::string_view text, std::string_view word, size_t from) {
    for (size_t i = from; i + word.size() <= text.size(); ++i) {
        if (ascii_lower(text[i]) == word[0] &&
            starts_with_ci(text.substr(i), word))
            return i;
    }
    return std::string_view::npos;
}

// The boundary values declared so far, as written, and whether there
// were too many to keep.
struct Boundaries {
    std::unordered_set<std::string_view> values;
    std::set<size_t> lengths;
    bool overflow = false;

    // Whether a line (after its "--") opens with a declared boundary;
    // closing delimiters ("--b--") are not openings.
    bool opens_part(std::string_view rest) const {
        if (overflow)
            return true;
        for (size_t length : lengths) {
            if (rest.size() < length)
                break;
            if (values.count(rest.substr(0, length)))
                return rest.substr(length, 2) != "--";
        }
        return false;
    }
};

// Adds the boundary parameters a header block declares, as written.
void add_declared(Boundaries& out, std::string_view block) {
    for (size_t pos = find_ci(block, "boundary", 0);
         pos != std::string_view::npos; pos = find_ci(block, "boundary", pos)) {
        pos += 8;
        size_t v = block.find_first_not_of(" \t", pos);
        if (v == std::string_view::npos || block[v] != '=')
            continue;
        v = block.find_first_not_of(" \t", v + 1);
        if (v == std::string_view::npos)
            break;
        bool quoted = block[v] == '"';
        size_t from = quoted ? v + 1 : v;
        size_t close =
            block.find_first_of(quoted ? "\"\r\n" : " \t;\r\n", from);
        std::string_view value =
            block
                .substr(from, close == std::string_view::npos
                                  ? std::string_view::npos
                                  : close - from)
                .substr(0, max_boundary_bytes);
        value = value.substr(0, value.find_last_not_of(" \t") + 1);
        if (value.empty())
            continue;
        if (out.values.size() >= max_boundaries) {
            out.overflow = true;
            return;
        }
        out.values.insert(value);
        out.lengths.insert(value.size());
    }
}

// A byte range left out of what GMime parses, or a field put in.
struct Cut {
    size_t from, to;
    std::string field = {}; ///< put in at from, which is then to
};

// Appends a cut for the blanks that end each quoted boundary value of a
// Content-Type field, which starts at offset in the message.
void trim_boundary_blanks(std::string_view field, size_t offset,
                          std::vector<Cut>& cuts) {
    for (size_t b = find_ci(field, "boundary", 0); b != std::string_view::npos;
         b = find_ci(field, "boundary", b + 8)) {
        size_t eq = field.find_first_not_of(" \t", b + 8);
        if (eq == std::string_view::npos || field[eq] != '=')
            continue;
        size_t open = field.find_first_not_of(" \t", eq + 1);
        if (open == std::string_view::npos || field[open] != '"')
            continue;
        size_t close = field.find_first_of("\"\r\n", open + 1);
        if (close == std::string_view::npos || field[close] != '"')
            continue;
        size_t kept = field.find_last_not_of(" \t", close - 1);
        if (kept > open && kept + 1 < close)
            cuts.push_back({offset + kept + 1, offset + close});
    }
}

// RFC 2046 ends a boundary with a character that is not a blank, and
// Python's email package drops blanks that end one; GMime keeps them, and
// then finds no "--B" line for boundary="B ": a multipart of no parts
// whose attachments no rule saw. The blanks are dropped for GMime too, so
// the readings agree. The block starts at offset start.
void trim_quoted_boundaries(std::string_view block, size_t start,
                            std::vector<Cut>& cuts) {
    for (size_t pos = 0; pos < block.size();) {
        // A field runs on over the lines that start with a blank.
        size_t end = pos;
        do {
            size_t lf = block.find('\n', end);
            end = lf == std::string_view::npos ? block.size() : lf + 1;
        } while (end < block.size() &&
                 (block[end] == ' ' || block[end] == '\t'));
        std::string_view field = block.substr(pos, end - pos);
        if (starts_with_ci(field, "content-type:"))
            trim_boundary_blanks(field, start + pos, cuts);
        pos = end;
    }
}

// Where a header block's fields must stop to stay within the limits:
// before the first field that would cross one of them.
size_t block_cut(std::string_view block, const Limits& limits) {
    size_t cut = 0;
    size_t fields = 1;
    for (size_t pos = 0; pos < block.size();) {
        size_t lf = block.find('\n', pos);
        size_t end = lf == std::string_view::npos ? block.size() : lf + 1;
        if (end > limits.header_block_bytes)
            return cut;
        pos = end;
        if (pos < block.size() && block[pos] != ' ' && block[pos] != '\t') {
            if (++fields > limits.header_fields)
                return pos;
            cut = pos;
        }
    }
    return block.size();
}

// The value of a block's first field named name (with its colon),
// unfolded: GMime reads "Content-Type:" and "message/rfc822" on the next
// line as one field, so an attached message's header block must be seen
// as one however its type is folded. Empty when there is none.
std::string field_value(std::string_view block, std::string_view name) {
    std::string value;
    bool found = false;
    for (size_t pos = 0; pos < block.size();) {
        size_t lf = block.find('\n', pos);
        std::string_view line = block.substr(pos, lf == std::string_view::npos
                                                      ? std::string_view::npos
                                                      : lf - pos);
        pos = lf == std::string_view::npos ? block.size() : lf + 1;
        bool continues = !line.empty() && (line[0] == ' ' || line[0] == '\t');
        if (found && !continues)
            break;
        if (!found && !starts_with_ci(line, name))
            continue;
        if (!found)
            line.remove_prefix(name.size());
        found = true;
        size_t v = line.find_first_not_of(" \t");
        size_t e = line.find_last_not_of(" \t\r");
        if (v == std::string_view::npos)
            continue;
        if (!value.empty())
            value += ' ';
        value.append(line.substr(v, e - v + 1));
    }
    return value;
}

// Whether a header block says its body is a message with headers of its
// own (message/rfc822, message/global). An encoded one is no header block
// until decoded (mime.cpp reads it then): its base64 lines are not fields.
bool holds_message(std::string_view block) {
    if (!starts_with_ci(field_value(block, "content-type:"), "message/"))
        return false;
    // The bound protects GMime's parse, so it follows GMime's reading of
    // the encoding, not the views' token: to GMime `x-foo` names no
    // encoding, and the part is read as a message.
    return !is_encoded(field_value(block, "content-transfer-encoding:"));
}

// Whether a Content-Type value names a type GMime reads as a message.
bool names_message_part(std::string_view value) {
    return is_message_type(value.substr(0, value.find_first_of(" \t\r;(")));
}

// The encoding to tell GMime for a block whose attached message it would
// misread, else empty. GMime ends the name at a blank only, so under
// `base64;` it would parse the encoded lines as the message's header
// fields, and the bound would cut them as a block over its limits; the
// views end it at `;`, `,` or `(` too, and decode the part (mime.cpp).
std::string encoding_to_tell(std::string_view block) {
    if (!names_message_part(field_value(block, "content-type:")))
        return "";
    std::string value = field_value(block, "content-transfer-encoding:");
    std::string token = read_transfer_encoding(value).name;
    return is_encoded(token) && !is_encoded(value) ? token : "";
}

// Tells GMime the views' encoding of the attached message of the block at
// start, whose fields within the limits end at kept, when it would
// misread it: in a field put before the first, as GMime reads the first.
// Returns true when it did.
bool tell_encoding(std::string_view block, size_t kept, size_t start,
                   std::vector<Cut>& cuts) {
    std::string told = encoding_to_tell(block.substr(0, kept));
    if (told.empty())
        return false;
    size_t at = start + mail::first_header_line(block);
    cuts.push_back({at, at,
                    "Content-Transfer-Encoding: " + told +
                        std::string(mail::line_ending(block))});
    return true;
}

// The offset after the empty line at end, or end at the message's end.
size_t after_line(std::string_view message, size_t end) {
    size_t lf = message.find('\n', end);
    return lf == std::string_view::npos ? message.size() : lf + 1;
}

} // namespace

std::string_view bound_header_blocks(std::string_view message,
                                     const Limits& limits, std::string& bounded,
                                     Bounding& bounding) {
    std::vector<Cut> cuts;
    bounding = {};
    size_t& cut_blocks = bounding.cut_blocks;
    const size_t max_openings =
        static_cast<size_t>(std::max(0, limits.mime_parts)) + 1;
    size_t openings = 0;
    // A boundary applies only after the block that declares it, so they
    // are gathered from the blocks as they are found.
    Boundaries boundaries;
    // Bounds the block at start and the blocks of messages it holds;
    // returns where the last of them ends.
    auto bound_chain = [&](size_t start) {
        while (true) {
            size_t end = start + mail::header_block_end(message.substr(start));
            std::string_view block = message.substr(start, end - start);
            size_t cut = block_cut(block, limits);
            bool told = tell_encoding(block, cut, start, cuts);
            trim_quoted_boundaries(block.substr(0, cut), start, cuts);
            if (cut < block.size()) {
                cuts.push_back({start + cut, end});
                ++cut_blocks;
            }
            add_declared(boundaries, block.substr(0, cut));
            if (end >= message.size() || told ||
                !holds_message(block.substr(0, cut)))
                return end;
            start = after_line(message, end);
        }
    };
    size_t pos = bound_chain(0);
    if (!boundaries.values.empty() || boundaries.overflow) {
        while ((pos = message.find("\n--", pos)) != std::string_view::npos) {
            size_t line = pos + 1;
            size_t lf = message.find('\n', line);
            if (lf == std::string_view::npos)
                break;
            std::string_view rest = message.substr(line + 2, lf - line - 2);
            pos = lf;
            if (!boundaries.opens_part(rest))
                continue;
            if (++openings > max_openings) {
                cuts.push_back({line, message.size()});
                bounding.cut_parts = true;
                break;
            }
            pos = bound_chain(lf + 1);
        }
    }
    if (cuts.empty())
        return message;
    size_t kept = 0;
    for (const Cut& c : cuts) {
        bounded.append(message.substr(kept, c.from - kept));
        if (!c.field.empty()) {
            bounding.added_fields.push_back(bounded.size());
            bounded.append(c.field);
        }
        kept = c.to;
    }
    bounded.append(message.substr(kept));
    if (bounded.empty())
        bounded.push_back('\n'); // no field fits, no body: an empty message
    return bounded;
}

} // namespace portcullis::mime::detail
