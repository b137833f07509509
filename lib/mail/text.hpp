// The text a reader sees: message bodies decoded and converted to UTF-8,
// HTML reduced to text, invisible characters removed and counted, and
// look-alike letters folded to the Latin ones they imitate. spam-score
// and policy-check match words against this text, never the raw bytes.
#pragma once

#include "mail/mime.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::text {

/// A link found in HTML: its target and the text shown for it. What a
/// tag loads (img src, frame src, background) or a form's action is a
/// link with no text.
struct Link {
    std::string href;
    std::string text;
    bool source = false; ///< what a tag loads, or a form's action
};

/// HTML reduced to the text a mail reader would show.
struct Html {
    std::string text;
    std::vector<Link> links;
    std::vector<std::string> image_sources;
    size_t hidden_bytes = 0; ///< text inside display:none or tiny fonts
    std::string hidden_text; ///< that text, with Hidden::kept
    /// With Hidden::kept, each comment, title, alt or title attribute's
    /// text: none is shown in the page, and each is read on its own.
    std::vector<std::string> apart;
    bool links_dropped = false; ///< a link found no room under the limit
};

/// The readable text of a whole message.
struct MessageText {
    std::string subject; ///< decoded, cleaned Subject
    std::string body;    ///< all text parts, cleaned, UTF-8
    /// Offsets of the spaces in body that stand for a blank line, where
    /// a paragraph ends and the next starts.
    std::vector<size_t> paragraph_breaks;
    /// Offsets in body where text read apart starts (hidden text, and
    /// each comment, title or alt text): no phrase runs across one.
    std::vector<size_t> piece_starts;
    std::string raw_body;    ///< text parts decoded, HTML kept
    std::vector<Link> links; ///< links from the HTML parts
    std::vector<std::string> attachment_names;
    size_t zero_width_subject = 0; ///< invisible characters removed
    size_t zero_width_body = 0;
    size_t lookalike_words = 0; ///< mixed-script words folded
    size_t hidden_html_bytes = 0;
    size_t html_images = 0;     ///< img tags in the HTML parts
    bool links_dropped = false; ///< an HTML link found no room
    bool has_html = false;
    bool has_plain = false;
    /// The body text as read (decoded, HTML reduced, blanks squeezed)
    /// was cut at the cap.
    bool truncated = false;
    bool raw_truncated = false; ///< raw_body was cut at the cap
};

/// Returns bytes in charset as UTF-8; unknown charsets are read as
/// Windows-1252 and invalid sequences become U+FFFD.
std::string to_utf8(std::string_view bytes, std::string_view charset);

/// Reads bytes in a charset as UTF-8 a slice at a time: the slices
/// joined are what to_utf8() returns for the whole, and no more than a
/// slice is held, however long the text.
class Utf8Reader {
public:
    Utf8Reader(std::string_view bytes, std::string_view charset);
    ~Utf8Reader();
    Utf8Reader(const Utf8Reader&) = delete;
    Utf8Reader& operator=(const Utf8Reader&) = delete;

    /// Replaces out with the next slice; false when all has been read.
    bool next(std::string& out);

private:
    enum class Mode { repair, latin1, iconv, whole };

    bool convert_step(std::string_view& rest, std::string& out);

    std::string_view rest_;
    std::string charset_;
    Mode mode_ = Mode::repair;
    void* iconv_ = nullptr; ///< a GIConv, for Mode::iconv
};

/// Returns a header value unfolded with RFC 2047 encoded words decoded.
std::string decode_header(std::string_view raw);

/// What becomes of text that CSS or the hidden attribute hides: counted
/// alone, or kept as well, in Html::hidden_text.
enum class Hidden { counted, kept };

/// Returns HTML as the text a reader would see, with its first max_links
/// links and picture addresses.
Html html_to_text(std::string_view html, size_t max_links = SIZE_MAX,
                  Hidden hidden = Hidden::counted);

/// Appends, one line each, every run of UTF-8 text that a right-to-left
/// override (U+202E) reverses, in the order a reader sees it, so that a
/// word written backwards behind the override is read as it is shown;
/// returns how many runs were added.
size_t add_display_order(std::string& utf8);

/// Removes the characters of mail::is_invisible() from UTF-8 text;
/// returns how many were removed.
size_t remove_invisible(std::string& utf8);

/// Folds Cyrillic, Greek and full-width look-alikes to Latin letters in
/// words that mix them with Latin letters, and full-width forms wherever
/// they are; returns how many words were disguised: Latin letters mixed
/// with look-alikes, or written in full-width letters alone in text with
/// no Chinese, Japanese or Korean in it (where that is ordinary).
size_t fold_lookalikes(std::string& utf8);

/// Returns a host name with every look-alike folded, for link checks.
std::string fold_host(std::string_view host);

/// Collapses runs of white space to one space and trims the ends; when
/// breaks is given, adds the offset of each space that stands for a run
/// holding a blank line (two line feeds or more).
std::string squeeze_space(std::string_view text,
                          std::vector<size_t>* breaks = nullptr);

/// Which parts extract() reads as body text.
enum class TextParts {
    inline_only, ///< the body as shown: text parts not marked attachment,
                 ///< every alternative, and those that give the same
                 ///< words as an earlier one once
    readable,    ///< also attachments that are text, whatever their label,
                 ///< every alternative in full, attached messages'
                 ///< subjects and a second Subject: all text a recipient
                 ///< can open
};

/// Extracts and cleans the text of a parsed message: body holds at most
/// max_body_bytes of text as read, raw_body at most max_body_bytes of
/// the decoded parts, links the first max_links anchors of the HTML;
/// headers and names are always read.
MessageText extract(const mime::Tree& tree, size_t max_body_bytes,
                    TextParts parts = TextParts::inline_only,
                    size_t max_links = SIZE_MAX);

} // namespace portcullis::text
