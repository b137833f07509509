// The identity of a learned message. Fields are taken from a short list
// of those a sender writes, not by leaving out those known to be added:
// every hop may add its own (Received, Return-Path, Delivered-To,
// X-Original-To, X-Spam-*, X-Portcullis-*, a policy's add_header,
// Authentication-Results, ARC-*, X-MS-Exchange-*), and no list of them
// is ever complete. share/doc/spam-score.md says why each part is in.
#include "spam_score_identity.hpp"

#include "core/digest.hpp"
#include "core/strings.hpp"
#include "mail/text.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <vector>

namespace portcullis::spam_score {

namespace {

// RFC 5322 3.6.2 to 3.6.5: who wrote it, to whom, and its ids. Sender
// is left out, as mailing lists set it on the way.
constexpr std::array<std::string_view, 8> sender_fields = {
    "from",       "reply-to",    "to",         "cc",
    "message-id", "in-reply-to", "references", "date"};

bool is_sender_field(std::string_view lower_name) {
    return std::find(sender_fields.begin(), sender_fields.end(), lower_name) !=
           sender_fields.end();
}

// Each piece goes in with its length first, so no two messages give
// the same bytes by moving text from one piece into the next. The bytes
// are hashed as they come: a message's parts are never held twice.
void put(digest::Sha256& out, std::string_view piece) {
    out.update(fmt::format("{}:", piece.size()));
    out.update(piece);
}

// A relay may turn 8-bit text into base64 or quoted-printable (RFC
// 6152 ends where 8BITMIME does), a mail store may write CRLF for LF,
// and quoted-printable may lose blanks at a line's end; the text a
// reader sees is the same.
std::string uniform_text(std::string_view utf8) {
    std::string out;
    out.reserve(utf8.size());
    size_t pos = 0;
    while (pos < utf8.size()) {
        size_t end = utf8.find_first_of("\r\n", pos);
        std::string_view line = utf8.substr(pos, end == std::string_view::npos
                                                     ? std::string_view::npos
                                                     : end - pos);
        size_t kept = line.find_last_not_of(" \t");
        out.append(
            line.substr(0, kept == std::string_view::npos ? 0 : kept + 1));
        out += '\n';
        if (end == std::string_view::npos)
            break;
        pos = end + (utf8.compare(end, 2, "\r\n") == 0 ? 2 : 1);
    }
    while (!out.empty() && out.back() == '\n')
        out.pop_back();
    return out;
}

// A leaf's content as the sender meant it: transfer encoding undone
// (mime::Part::decoded) and text in UTF-8, whatever charset label a
// relay gave it. The multipart framing (boundaries, preamble) and the
// files found inside a leaf (uuencode, TNEF) add nothing of their own.
void put_parts(digest::Sha256& out, const mime::Tree& tree) {
    for (const mime::Part& part : tree.parts) {
        if (part.origin != mime::Origin::mime || part.is_multipart ||
            part.is_message)
            continue;
        put(out, part.content_type);
        put(out, part.display_name());
        if (part.content_type.starts_with("text/"))
            put(out, uniform_text(text::to_utf8(part.decoded, part.charset)));
        else
            put(out, part.decoded);
    }
}

} // namespace

std::string without_subject_tag(std::string_view subject,
                                std::string_view tag) {
    std::string text = text::squeeze_space(subject);
    std::string mark = text::squeeze_space(tag);
    if (mark.empty() || !text.starts_with(mark))
        return text;
    if (text.size() == mark.size())
        return "";
    if (text[mark.size()] != ' ')
        return text;
    return text.substr(mark.size() + 1);
}

std::string message_identity(const Analysis& analysis, std::string_view tag) {
    // Header fields are sorted, as reordering them changes nothing a
    // reader sees; each is decoded and its white space squeezed, as a
    // relay may refold or re-encode it.
    std::vector<std::string> fields;
    const mime::Tree& tree = analysis.tree;
    for (size_t i = 0; i < tree.headers.size(); ++i) {
        std::string name = ascii_lower(tree.headers[i].name);
        if (name == "subject") {
            // A subject that is empty without the tag is none: tagging
            // gives a message that had none "Subject: [SPAM]", and the
            // copy is the same message (token format 9).
            std::string subject =
                without_subject_tag(analysis.decoded_headers[i], tag);
            if (!subject.empty())
                fields.push_back(name + ":" + subject);
        } else if (is_sender_field(name))
            fields.push_back(name + ":" +
                             text::squeeze_space(analysis.decoded_headers[i]));
    }
    std::sort(fields.begin(), fields.end());
    digest::Sha256 canonical;
    for (const std::string& field : fields)
        put(canonical, field);
    canonical.update("|");
    put_parts(canonical, tree);
    return canonical.hex();
}

} // namespace portcullis::spam_score
