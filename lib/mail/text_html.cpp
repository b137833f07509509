// HTML reduced to the text a mail reader shows. A tolerant scanner, not a
// DOM: spam HTML is broken on purpose, so every construct ends at the end
// of input at the latest, and text hidden with CSS is counted, not shown.
#include "core/strings.hpp"
#include "mail/css_style.hpp"
#include "mail/html_elements.hpp"
#include "mail/text.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace portcullis::text {

namespace {

struct Tag {
    std::string name; ///< lower case, without '/'
    bool closing = false;
    bool self_closing = false; ///< ends in "/>": means so only in SVG
    std::string attributes;
};

// An entity for NUL or past Unicode shows as U+FFFD, as browsers do.
void append_code_point(std::string& out, unsigned long cp) {
    append_utf8(out, cp == 0 || cp > 0x10FFFF ? char32_t{0xFFFD}
                                              : static_cast<char32_t>(cp));
}

// A named character reference. The legacy names are decoded even
// without their ';' ("&nbsp" too), as HTML keeps for old pages; the
// others need it.
struct NamedEntity {
    std::string_view name;
    char32_t code_point;
    bool legacy;
};

constexpr NamedEntity named_entities[] = {
    {"amp", '&', true},         {"lt", '<', true},
    {"gt", '>', true},          {"quot", '"', true},
    {"apos", '\'', false},      {"nbsp", 0xA0, true},
    {"copy", 0xA9, true},       {"reg", 0xAE, true},
    {"euro", 0x20AC, false},    {"pound", 0xA3, true},
    {"trade", 0x2122, false},   {"mdash", 0x2014, false},
    {"ndash", 0x2013, false},   {"hellip", 0x2026, false},
    {"zwnj", 0x200C, false},    {"zwj", 0x200D, false},
    {"shy", 0xAD, true},        {"rsquo", 0x2019, false},
    {"lsquo", 0x2018, false},   {"rdquo", 0x201D, false},
    {"ldquo", 0x201C, false},   {"bull", 0x2022, false},
    {"middot", 0xB7, true},     {"hyphen", 0x2010, false},
    {"dash", 0x2010, false},    {"thinsp", 0x2009, false},
    {"ensp", 0x2002, false},    {"emsp", 0x2003, false},
    {"lrm", 0x200E, false},     {"rlm", 0x200F, false},
    {"NoBreak", 0x2060, false}, {"ZeroWidthSpace", 0x200B, false},
    {"Tab", '\t', false},       {"NewLine", '\n', false},
    {"colon", ':', false},      {"sol", '/', false},
    {"period", '.', false},     {"commat", '@', false},
    {"lowbar", '_', false},     {"quest", '?', false},
    {"equals", '=', false},     {"num", '#', false},
};

const NamedEntity* find_entity(std::string_view name) {
    for (const NamedEntity& entity : named_entities)
        if (equals_ci(name, entity.name))
            return &entity;
    return nullptr;
}

// "&nbspx": a legacy name is taken without ';' even when letters follow
// it, as browsers do in text.
const NamedEntity* find_legacy_prefix(std::string_view name) {
    for (const NamedEntity& entity : named_entities)
        if (entity.legacy && name.size() > entity.name.size() &&
            equals_ci(name.substr(0, entity.name.size()), entity.name))
            return &entity;
    return nullptr;
}

// Decodes one numeric reference: "&#" then digits, or "&#x" then hex
// digits, ended by ';' or by the first other character as browsers do
// ("&#99onfidential" shows "confidential").
bool decode_numeric(std::string_view html, size_t& pos, std::string& out) {
    size_t at = pos + 2;
    bool hex = at < html.size() && (html[at] == 'x' || html[at] == 'X');
    if (hex)
        ++at;
    size_t digits = at;
    // Leading zeros count for nothing, however many ("&#0000000099;"
    // is a 'c' to a browser); the digits after them are bounded.
    while (at < html.size() && html[at] == '0')
        ++at;
    size_t significant = at;
    constexpr size_t max_digits = 8; // past U+10FFFF either way
    unsigned long cp = 0;
    while (at < html.size() && at - significant < max_digits &&
           (hex ? std::isxdigit(static_cast<unsigned char>(html[at]))
                : std::isdigit(static_cast<unsigned char>(html[at])))) {
        char c = ascii_lower(html[at]);
        cp = cp * (hex ? 16 : 10) +
             static_cast<unsigned long>(c <= '9' ? c - '0' : c - 'a' + 10);
        ++at;
    }
    if (at == digits)
        return false;
    // A run of digits longer than any code point is still one reference.
    while (at < html.size() &&
           (hex ? std::isxdigit(static_cast<unsigned char>(html[at]))
                : std::isdigit(static_cast<unsigned char>(html[at])))) {
        cp = 0x110000;
        ++at;
    }
    if (at < html.size() && html[at] == ';')
        ++at;
    append_code_point(out, cp);
    pos = at;
    return true;
}

// Where a reference stands: in an attribute ("?id=1&copy=2" in a link)
// a name without its ';' is left as it is, as browsers leave it.
enum class Context { text, attribute };

// Decodes one character reference starting at '&'; returns false and
// leaves pos alone when it is not one. The work is bounded by the
// longest name, and a '&' with no name after it, the commonest stray
// one, costs one look at the next byte.
bool decode_entity(std::string_view html, size_t& pos, std::string& out,
                   Context context) {
    if (pos + 1 < html.size() && html[pos + 1] == '#')
        return decode_numeric(html, pos, out);
    // The name runs over letters and digits; a ';' after it ends it.
    constexpr size_t max_name = 32;
    size_t end = pos + 1;
    while (end < html.size() && end - pos <= max_name &&
           std::isalnum(static_cast<unsigned char>(html[end])))
        ++end;
    std::string_view name = html.substr(pos + 1, end - pos - 1);
    if (name.empty())
        return false;
    bool terminated = end < html.size() && html[end] == ';';
    bool bare_ok =
        context == Context::text || (end >= html.size() || html[end] != '=');
    const NamedEntity* entity = find_entity(name);
    if (entity && (terminated || (bare_ok && entity->legacy))) {
        append_code_point(out, entity->code_point);
        pos = end + (terminated ? 1 : 0);
        return true;
    }
    if (terminated || context != Context::text)
        return false;
    entity = find_legacy_prefix(name);
    if (!entity)
        return false;
    append_code_point(out, entity->code_point);
    pos = pos + 1 + entity->name.size();
    return true;
}

// Returns text with its character references decoded as context reads
// them.
std::string decode_references(std::string_view text, Context context) {
    std::string decoded;
    for (size_t i = 0; i < text.size();) {
        if (text[i] == '&' && decode_entity(text, i, decoded, context))
            continue;
        decoded += text[i++];
    }
    return decoded;
}

// Returns the value of one attribute, entities decoded, empty for one
// without a value, or nullopt when the tag has no such attribute.
std::optional<std::string> find_attribute(std::string_view attributes,
                                          std::string_view name) {
    size_t pos = 0;
    while (pos < attributes.size()) {
        while (pos < attributes.size() &&
               (std::isspace(static_cast<unsigned char>(attributes[pos])) ||
                attributes[pos] == '/'))
            ++pos;
        size_t key_start = pos;
        while (pos < attributes.size() && attributes[pos] != '=' &&
               !std::isspace(static_cast<unsigned char>(attributes[pos])))
            ++pos;
        std::string_view key = attributes.substr(key_start, pos - key_start);
        while (pos < attributes.size() &&
               std::isspace(static_cast<unsigned char>(attributes[pos])))
            ++pos;
        std::string value;
        if (pos < attributes.size() && attributes[pos] == '=') {
            ++pos;
            while (pos < attributes.size() &&
                   std::isspace(static_cast<unsigned char>(attributes[pos])))
                ++pos;
            char quote = pos < attributes.size() && (attributes[pos] == '"' ||
                                                     attributes[pos] == '\'')
                             ? attributes[pos++]
                             : 0;
            size_t value_start = pos;
            while (pos < attributes.size() &&
                   (quote ? attributes[pos] != quote
                          : !std::isspace(
                                static_cast<unsigned char>(attributes[pos]))))
                ++pos;
            value = attributes.substr(value_start, pos - value_start);
            if (quote && pos < attributes.size())
                ++pos;
        }
        if (key.empty() && pos == key_start)
            ++pos;
        if (equals_ci(key, name))
            return decode_references(value, Context::attribute);
    }
    return std::nullopt;
}

// Returns the value of one attribute, entities decoded, or empty.
std::string attribute(std::string_view attributes, std::string_view name) {
    return find_attribute(attributes, name).value_or("");
}

// Returns where an attribute value that may start at pos, just after
// its '=', ends: past its closing quote, or at the blank or '>' after an
// unquoted one, in which quotes are ordinary characters.
size_t value_end(std::string_view html, size_t pos) {
    while (pos < html.size() && is_html_space(html[pos]))
        ++pos;
    if (pos < html.size() && (html[pos] == '"' || html[pos] == '\'')) {
        size_t close = html.find(html[pos], pos + 1);
        return close == html.npos ? html.size() : close + 1;
    }
    while (pos < html.size() && !is_html_space(html[pos]) && html[pos] != '>')
        ++pos;
    return pos;
}

bool is_ascii_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// What the '<' at pos starts, as HTML's tokenizer reads it: a tag when
// a letter follows ("<b", "</b"), a comment or declaration read to the
// first '>' with no quotes ("<!x", "<?x", "</3"), nothing at all ("</>"),
// or else text ("<3", "a < b").
enum class Markup { text, tag, bogus_comment, nothing };

Markup markup_at(std::string_view html, size_t pos) {
    size_t next = pos + 1;
    if (next >= html.size())
        return Markup::text;
    char c = html[next];
    if (is_ascii_alpha(c))
        return Markup::tag;
    if (c == '!' || c == '?')
        return Markup::bogus_comment;
    if (c != '/' || next + 1 >= html.size())
        return Markup::text;
    if (is_ascii_alpha(html[next + 1]))
        return Markup::tag;
    return html[next + 1] == '>' ? Markup::nothing : Markup::bogus_comment;
}

// Returns where the attributes that start at pos end: at the '>' that
// ends the tag, or at the end of the input. A quote opens a value only
// where one starts, after '=' and blanks, as browsers read it: a quote
// anywhere else ("border=0\"", "alt=Bob's") is an ordinary character, and
// taking it for an opening one would hide the rest of the HTML up to
// the next quote character.
size_t attributes_end(std::string_view html, size_t pos) {
    bool named = false; // an attribute name was read and may take a value
    while (pos < html.size() && html[pos] != '>') {
        char c = html[pos];
        if (is_html_space(c)) {
            ++pos;
            continue;
        }
        if (c == '=' && named) {
            pos = value_end(html, pos + 1);
            named = false;
            continue;
        }
        // A name runs to a blank, '/', '=' (past its first character)
        // or '>'.
        size_t start = pos++;
        while (pos < html.size() && !is_html_space(html[pos]) &&
               html[pos] != '>' && html[pos] != '/' && html[pos] != '=')
            ++pos;
        named = c != '/' || pos > start + 1;
    }
    return pos;
}

// Reads the tag that starts at '<'; pos ends after its '>'.
Tag read_tag(std::string_view html, size_t& pos) {
    Tag tag;
    size_t i = pos + 1;
    if (i < html.size() && html[i] == '/') {
        tag.closing = true;
        ++i;
    }
    // A name runs to a blank, '/' or '>', as in browsers: "<style_>" is
    // an element of its own, not a style sheet.
    size_t name_start = i;
    while (i < html.size() && !is_html_space(html[i]) && html[i] != '/' &&
           html[i] != '>')
        ++i;
    tag.name = ascii_lower(html.substr(name_start, i - name_start));
    if (tag.name == "image")
        tag.name = "img"; // as browsers read it
    size_t attr_start = i;
    i = attributes_end(html, i);
    tag.attributes = html.substr(attr_start, i - attr_start);
    tag.self_closing = i > attr_start && html[i - 1] == '/';
    pos = i < html.size() ? i + 1 : html.size();
    return tag;
}

// What an element's markup does to the text inside it: display:none or
// the hidden attribute hide it for good; a font size under two pixels
// makes it tiny, a readable size of its own (a length, a keyword, <font
// size=N>) shows it again; visibility hidden or collapse makes it
// invisible, visibility visible shows it again.
Effect effect_of(const Tag& tag, const Style& style) {
    Effect effect;
    // A template's content is never shown.
    // A browser's style sheet hides <rp> and <datalist> too.
    if (tag.name == "template" || tag.name == "rp" || tag.name == "datalist" ||
        find_attribute(tag.attributes, "hidden") ||
        style.get("display") == "none") {
        effect.hides = true;
        return effect;
    }
    if (tag.name == "font" &&
        is_legacy_font_size(attribute(tag.attributes, "size")))
        effect.tiny = Effect::Change::clear;
    if (const char* property = style.applied("font-size", "font")) {
        std::string_view size = style.get(property);
        if (std::string_view(property) == "font")
            size = font_shorthand_size(size);
        if (is_tiny_length(size))
            effect.tiny = Effect::Change::set;
        else if (is_absolute_size(size))
            effect.tiny = Effect::Change::clear;
    }
    std::string_view visibility = style.get("visibility");
    if (visibility == "hidden" || visibility == "collapse")
        effect.invisible = Effect::Change::set;
    else if (visibility == "visible" || visibility == "initial")
        effect.invisible = Effect::Change::clear;
    return effect;
}

// <bdo dir="rtl">, or CSS unicode-bidi: bidi-override with direction:
// rtl, shows its letters in reverse order, as U+202E does in plain text.
bool overrides_to_rtl(const Tag& tag, const Style& style) {
    if (trim_space(tag.attributes).empty())
        return false;
    std::string dir = ascii_lower(attribute(tag.attributes, "dir"));
    if (tag.name == "bdo" && dir == "rtl")
        return true;
    return style.get("unicode-bidi") == "bidi-override" &&
           (style.get("direction") == "rtl" || dir == "rtl");
}

// Elements that hold nothing and have no end tag: hiding one hides no
// text, and looking for its end would hide all that follows.
bool is_void(std::string_view name) {
    static constexpr std::string_view voids[] = {
        "area",  "base",  "br",     "col",     "embed",    "hr",
        "img",   "input", "link",   "meta",    "param",    "source",
        "track", "wbr",   "keygen", "bgsound", "basefont", "frame"};
    return std::find(std::begin(voids), std::end(voids), name) !=
           std::end(voids);
}

bool is_table_part(std::string_view name) {
    static constexpr std::string_view parts[] = {
        "caption", "col",   "colgroup", "table", "tbody",
        "td",      "tfoot", "th",       "thead", "tr"};
    return std::find(std::begin(parts), std::end(parts), name) !=
           std::end(parts);
}

bool is_block(std::string_view name) {
    static constexpr std::string_view blocks[] = {
        "br", "p",  "div",   "tr",     "td", "th",    "li", "h1",
        "h2", "h3", "h4",    "h5",     "h6", "table", "hr", "blockquote",
        "ul", "ol", "title", "center", "dd", "dt"};
    return std::find(std::begin(blocks), std::end(blocks), name) !=
           std::end(blocks);
}

// Returns where a comment whose text starts at pos ends, as browsers
// end it: at "-->" or "--!>", whichever comes first, or at once for
// "<!-->" and "<!--->". One pass finds the first of either: searching
// for each apart would scan to the end of the input for the one that is
// missing, at every comment.
size_t comment_end(std::string_view html, size_t pos) {
    if (html.substr(pos, 1) == ">")
        return pos + 1;
    if (html.substr(pos, 2) == "->")
        return pos + 2;
    for (size_t dashes = html.find("--", pos); dashes != html.npos;
         dashes = html.find("--", dashes + 1)) {
        if (html.substr(dashes + 2, 1) == ">")
            return dashes + 3;
        if (html.substr(dashes + 2, 2) == "!>")
            return dashes + 4;
    }
    return html.size();
}

// The text of a comment, from after its "<!--" to where comment_end
// ends it.
std::string_view comment_text(std::string_view comment) {
    for (std::string_view close : {"--!>", "-->", "->", ">"}) {
        if (comment.ends_with(close)) {
            comment.remove_suffix(close.size());
            break;
        }
    }
    return comment;
}

// Elements that hold text, not HTML: quotes, comments and tags in them
// ("document.write('<script>')", "<textarea><div hidden></textarea>")
// mean nothing until the first end tag of their name, as in browsers.
enum class RawText {
    none,
    unshown,   ///< script, style, iframe, noembed, noframes
    shown,     ///< xmp, plaintext: shown as written
    references ///< textarea, title: shown, character references decoded
};

RawText raw_text_of(std::string_view name) {
    if (name == "script" || name == "style" || name == "iframe" ||
        name == "noembed" || name == "noframes")
        return RawText::unshown;
    if (name == "xmp" || name == "plaintext")
        return RawText::shown;
    // A browser's style sheet hides <title> (display: none).
    if (name == "title")
        return RawText::unshown;
    if (name == "textarea")
        return RawText::references;
    return RawText::none;
}

// Whether a doctype (lower case, after "<!doctype") puts a browser in
// quirks mode, where <table> leaves an open <p> open (WHATWG HTML, the
// "initial" insertion mode). Standards and limited-quirks modes close
// it; the XHTML 1.0 doctypes of most marketing mail are limited quirks.
bool is_quirks_doctype(std::string_view rest) {
    // The legacy public identifiers of quirks mode, by the families the
    // standard lists.
    static constexpr std::string_view quirks_prefixes[] = {
        "+//silmaril//",
        "-//as//",
        "-//advasoft ltd//",
        "-//ietf//",
        "-//metrius//",
        "-//microsoft//dtd internet explorer ",
        "-//netscape comm. corp.//",
        "-//o'reilly and associates//",
        "-//sq//",
        "-//softquad software//",
        "-//softquad//",
        "-//spyglass//",
        "-//sun microsystems corp.//",
        "-//w3c//dtd html 3",
        "-//w3c//dtd html 4.0 frameset//",
        "-//w3c//dtd html 4.0 transitional//",
        "-//w3c//dtd html experimental ",
        "-//w3c//dtd w3 html//",
        "-//w3o//dtd w3 html 3.0//",
        "-//webtechs//dtd mozilla html"};
    auto skip_space = [&] {
        while (!rest.empty() && is_html_space(rest.front()))
            rest.remove_prefix(1);
    };
    // A quoted identifier, or nullopt when none is written right.
    auto quoted = [&]() -> std::optional<std::string_view> {
        skip_space();
        if (rest.empty() || (rest.front() != '"' && rest.front() != '\''))
            return std::nullopt;
        size_t close = rest.find(rest.front(), 1);
        if (close == std::string_view::npos)
            return std::nullopt;
        std::string_view id = rest.substr(1, close - 1);
        rest.remove_prefix(close + 1);
        return id;
    };
    skip_space();
    size_t name_end = 0;
    while (name_end < rest.size() && !is_html_space(rest[name_end]))
        ++name_end;
    if (rest.substr(0, name_end) != "html")
        return true;
    rest.remove_prefix(name_end);
    skip_space();
    std::optional<std::string_view> public_id, system_id;
    if (rest.starts_with("public")) {
        rest.remove_prefix(6);
        if (!(public_id = quoted()))
            return true;
        system_id = quoted();
    } else if (rest.starts_with("system")) {
        rest.remove_prefix(6);
        if (!(system_id = quoted()))
            return true;
    } else if (!rest.empty()) {
        return true; // a doctype a browser cannot read forces quirks
    }
    if (system_id ==
        "http://www.ibm.com/data/dtd/v11/ibmxhtml1-transitional.dtd")
        return true;
    if (!public_id)
        return false;
    if (*public_id == "-//w3o//dtd w3 html strict 3.0//en//" ||
        *public_id == "-/w3c/dtd html 4.0 transitional/en" ||
        *public_id == "html")
        return true;
    for (std::string_view prefix : quirks_prefixes)
        if (public_id->starts_with(prefix))
            return true;
    // HTML 4.01 Transitional and Frameset: quirks without a system id.
    return !system_id &&
           (public_id->starts_with("-//w3c//dtd html 4.01 frameset//") ||
            public_id->starts_with("-//w3c//dtd html 4.01 transitional//"));
}

// Returns where the raw text of element name, starting at pos, ends:
// after the first "</name" followed by a blank, '/' or '>', and the rest
// of that end tag; or at the end of the input. text_end is set to where
// that end tag starts. <plaintext> has no end: it runs to the end.
// Whether a "<script" or "</script" at open (its "<" or "</" of length
// lead) is followed by a blank, '/' or '>', as script states need.
bool is_script_tag_at(std::string_view html, size_t open, size_t lead) {
    size_t after = open + lead + 6;
    return after < html.size() &&
           equals_ci(html.substr(open + lead, 6), "script") &&
           (is_html_space(html[after]) || html[after] == '/' ||
            html[after] == '>');
}

// Where a script's first real end tag starts, as HTML's script states
// read it: inside "<!--", a "<script" starts a double-escaped run where
// "</script" does not end the script, until "-->" or that "</script"
// itself.
size_t script_end_tag(std::string_view html, size_t pos) {
    enum { data, escaped, double_escaped } state = data;
    for (size_t at = html.find_first_of("<-", pos); at != html.npos;
         at = html.find_first_of("<-", at + 1)) {
        if (html[at] == '-') {
            if (state != data && html.substr(at, 3) == "-->") {
                state = data;
                at += 2;
            }
            continue;
        }
        if (state == data && html.substr(at, 4) == "<!--") {
            // "<!-->" opens and closes at once.
            state =
                at + 4 < html.size() && html[at + 4] == '>' ? data : escaped;
            at += 3;
        } else if (html.substr(at, 2) == "</" &&
                   is_script_tag_at(html, at, 2)) {
            if (state != double_escaped)
                return at;
            state = escaped;
        } else if (state == escaped && is_script_tag_at(html, at, 1)) {
            state = double_escaped;
        }
    }
    return html.size();
}

size_t raw_text_end(std::string_view html, size_t pos, std::string_view name,
                    size_t& text_end) {
    text_end = html.size();
    if (name == "plaintext")
        return html.size();
    if (name == "script") {
        size_t open = script_end_tag(html, pos);
        if (open == html.size())
            return html.size();
        text_end = open;
        size_t end = open;
        read_tag(html, end);
        return end;
    }
    for (size_t open = html.find("</", pos); open != html.npos;
         open = html.find("</", open + 2)) {
        size_t after = open + 2 + name.size();
        if (!equals_ci(html.substr(open + 2, name.size()), name))
            continue;
        if (after < html.size() && !is_html_space(html[after]) &&
            html[after] != '/' && html[after] != '>')
            continue;
        text_end = open;
        size_t end = open;
        read_tag(html, end);
        return end;
    }
    return html.size();
}

class Renderer {
public:
    Renderer(std::string_view html, size_t max_links, Hidden hidden,
             int depth = 0)
        : html_(html), max_links_(max_links), hidden_(hidden), depth_(depth) {
        // Misnested formatting in real mail moves a few elements a tag;
        // a move per two bytes of input, or 262,144, is far past that.
        elements_.set_adoption_budget(
            std::max(html.size() / 2, size_t{1} << 18));
    }

    Html run() {
        while (pos_ < html_.size()) {
            char c = html_[pos_];
            if (c == '<')
                on_tag();
            else if (c == '&')
                on_entity();
            else
                emit_text();
        }
        close_link();
        return std::move(out_);
    }

private:
    // Text up to the next tag or reference is taken whole: a whole part
    // is read, however big, to find every word and link in it.
    void emit_text() {
        size_t end = std::min(html_.find_first_of("<&", pos_), html_.size());
        show(html_.substr(pos_, end - pos_));
        pos_ = end;
    }

    void emit_char(char c) {
        show(std::string_view(&c, 1));
        ++pos_;
    }

    void on_entity() {
        std::string decoded;
        if (!decode_entity(html_, pos_, decoded, Context::text)) {
            emit_char('&');
            return;
        }
        show(decoded);
    }

    void on_tag() {
        if (html_.substr(pos_, 4) == "<!--") {
            size_t end = comment_end(html_, pos_ + 4);
            keep_apart(comment_text(html_.substr(pos_ + 4, end - pos_ - 4)));
            pos_ = end;
            return;
        }
        // A lone '<' in text, as in "a < b", is told by the byte after
        // it, before the tag is read: reading it would look for its '>'
        // as far as the end of the input, only to read on from the '<'.
        switch (markup_at(html_, pos_)) {
        case Markup::text:
            emit_char('<');
            return;
        case Markup::nothing:
            pos_ += 3;
            return;
        case Markup::bogus_comment:
            on_declaration();
            return;
        case Markup::tag:
            break;
        }
        Tag tag = read_tag(html_, pos_);
        keep_described(tag);
        if (tag.closing) {
            elements_.close(tag.name);
            on_element(tag, Style(""));
            return;
        }
        seen_element_ = true;
        Style style(trim_space(tag.attributes).empty()
                        ? std::string()
                        : attribute(tag.attributes, "style"));
        bool font_styled =
            tag.name == "font" && (find_attribute(tag.attributes, "color") ||
                                   find_attribute(tag.attributes, "face") ||
                                   find_attribute(tag.attributes, "size"));
        bool foreign = elements_.in_foreign_content() &&
                       !elements_.break_out_of_foreign(tag.name, font_styled);
        if (!foreign && elements_.ignores_start(tag.name)) {
            if (tag.name == "body")
                add_body_attributes(tag, style);
            on_element(tag, style); // a dropped <td>'s background is a link
            return;
        }
        if (tag.name == "body" && !foreign) {
            body_style_ = find_attribute(tag.attributes, "style").has_value();
            body_hidden_ = find_attribute(tag.attributes, "hidden").has_value();
        }
        if (!foreign) {
            elements_.end_implied_by(tag.name);
            if (OpenElements::reopens_formatting_before(tag.name))
                elements_.reopen_formatting();
        }
        if (!is_void(tag.name))
            elements_.make_room();
        // Content of a table outside its cells goes before the table.
        Shown parent = is_table_part(tag.name) ? elements_.shown()
                                               : elements_.shown_here();
        Effect effect = effect_of(tag, style);
        Shown inside = effect.inside(parent);
        RawText raw = foreign ? RawText::none : raw_text_of(tag.name);
        if (raw != RawText::none) {
            on_element(tag, style); // an iframe's or script's source
            if (tag.name == "iframe")
                show_srcdoc(tag, inside);
            read_raw_text(tag.name, raw, inside);
            return;
        }
        // In SVG and MathML, "/>" ends an element at once.
        if (!is_void(tag.name) && !(foreign && tag.self_closing)) {
            elements_.open(tag.name, inside, effect);
            if (!foreign && OpenElements::is_formatting(tag.name))
                elements_.remember_formatting(tag.attributes, effect);
        }
        on_element(tag, style);
    }

    // "<!DOCTYPE html>" before any element puts a browser in standards
    // mode; "<![CDATA[...]]>" in SVG or MathML is text; anything else
    // from "<!", "<?" or "</" and no letter is a comment to the next '>'.
    void on_declaration() {
        std::string_view rest = html_.substr(pos_);
        if (elements_.in_foreign_content() && rest.starts_with("<![CDATA[")) {
            size_t end = std::min(rest.find("]]>"), rest.size());
            show(rest.substr(9, end > 9 ? end - 9 : 0));
            pos_ += std::min(end + 3, rest.size());
            return;
        }
        size_t end = std::min(rest.find('>'), rest.size());
        std::string declaration = ascii_lower(rest.substr(0, end));
        if (!seen_element_ && !seen_text_ &&
            declaration.starts_with("<!doctype") &&
            !is_quirks_doctype(declaration.substr(9)))
            elements_.set_standards_mode();
        pos_ += std::min(end + 1, rest.size());
    }

    void read_raw_text(const std::string& name, RawText raw, Shown shown) {
        size_t text_end = 0;
        size_t end = raw_text_end(html_, pos_, name, text_end);
        std::string_view text = html_.substr(pos_, text_end - pos_);
        if (raw == RawText::shown) {
            out_.text += '\n';
            show(text, shown);
            out_.text += '\n';
        } else if (raw == RawText::references) {
            out_.text += '\n';
            show(decode_references(text, Context::text), shown);
            out_.text += '\n';
        } else if (name == "title") {
            keep_apart(decode_references(text, Context::text));
        }
        pos_ = end;
    }

    // A second <body> adds to the body the attributes the first lacked,
    // as browsers do: its style then reaches all the body holds.
    void add_body_attributes(const Tag& tag, const Style& style) {
        Tag added = tag;
        added.attributes.clear();
        if (!body_hidden_ && find_attribute(tag.attributes, "hidden"))
            added.attributes = "hidden";
        Style none("");
        Effect effect = effect_of(added, body_style_ ? none : style);
        body_style_ = body_style_ || find_attribute(tag.attributes, "style");
        body_hidden_ = body_hidden_ || !added.attributes.empty();
        elements_.apply_to_body(effect);
    }

    // An iframe's srcdoc is a document of its own, shown in the frame:
    // its text and links are read as the frame is shown, to a depth.
    void show_srcdoc(const Tag& tag, Shown shown) {
        std::optional<std::string> document =
            find_attribute(tag.attributes, "srcdoc");
        if (!document || document->empty())
            return;
        if (depth_ >= max_srcdoc_depth) {
            out_.hidden_bytes += document->size();
            return;
        }
        Html inner = Renderer(*document, max_links_, hidden_, depth_ + 1).run();
        out_.text += '\n';
        // The frame's document starts from CSS's initial values: a tiny
        // font around the frame does not reach into it; a frame not
        // shown shows nothing of it.
        shown.tiny = false;
        show(inner.text, shown);
        out_.text += '\n';
        out_.hidden_bytes += inner.hidden_bytes;
        keep_hidden(inner.hidden_text);
        for (std::string& text : inner.apart)
            out_.apart.push_back(std::move(text));
        for (Link& link : inner.links)
            add_link(std::move(link));
        for (std::string& source : inner.image_sources)
            if (out_.image_sources.size() < max_links_)
                out_.image_sources.push_back(std::move(source));
        out_.links_dropped = out_.links_dropped || inner.links_dropped;
    }

    // Adds text a reader sees; what is hidden is only counted.
    // Formatting elements another element's end ended are opened again
    // first, as a browser opens them before text.
    void show(std::string_view text) {
        if (!elements_.in_foreign_content())
            elements_.reopen_formatting();
        show(text, elements_.shown_here());
    }

    void show(std::string_view text, Shown shown) {
        if (!seen_text_ &&
            text.find_first_not_of(" \t\r\n\f") != std::string_view::npos)
            seen_text_ = true;
        if (shown.hidden()) {
            out_.hidden_bytes += text.size();
            keep_hidden(text);
            return;
        }
        out_.text += text;
        if (in_link_ && link_text_.size() < max_link_text_bytes)
            link_text_ += text.substr(0, max_link_text_bytes);
    }

    // Hidden text, kept apart when asked for: words hidden inside a
    // shown word ("conf<span hidden>x</span>idential") must not join it.
    void keep_hidden(std::string_view text) {
        if (hidden_ == Hidden::kept)
            out_.hidden_text += text;
    }

    // Text a reader is not shown in the page but that leaves with it:
    // comments, the title, a picture's alt text and any element's title
    // (shown on hovering). Kept apart, each on its own, and never counted
    // as hidden: a page's title hides nothing.
    void keep_apart(std::string_view text) {
        if (hidden_ != Hidden::kept ||
            text.find_first_not_of(" \t\r\n\f") == std::string_view::npos)
            return;
        out_.apart.emplace_back(text);
    }

    void keep_described(const Tag& tag) {
        if (hidden_ != Hidden::kept || tag.closing)
            return;
        for (std::string_view name : {"alt", "title"})
            if (auto value = find_attribute(tag.attributes, name))
                keep_apart(*value);
    }

    void on_element(const Tag& tag, const Style& style) {
        if (is_block(tag.name)) {
            out_.text += '\n';
            if (!out_.hidden_text.empty() && out_.hidden_text.back() != '\n')
                keep_hidden("\n");
        }
        // Reversed text is marked as plain text marks it; text::extract
        // then reads it in the order shown as well.
        if (!tag.closing && overrides_to_rtl(tag, style)) {
            overrides_.push_back(tag.name);
            append_code_point(out_.text, 0x202E);
        } else if (tag.closing && !overrides_.empty() &&
                   overrides_.back() == tag.name) {
            overrides_.pop_back();
            append_code_point(out_.text, 0x202C);
        }
        // Inline elements (span, b, font...) join their text to what is
        // around it, as a browser shows "confi<span>dential</span>".
        if (tag.name == "a") {
            close_link();
            if (!tag.closing) {
                href_ = attribute(tag.attributes, "href");
                in_link_ = true;
            }
        }
        if (!tag.closing)
            add_sources(tag);
    }

    // What a tag loads or sends to besides an anchor's target is a link
    // too, as SpamAssassin's uri rules read them: a picture on a spam
    // host names that host as surely as a link to it does.
    void add_sources(const Tag& tag) {
        static constexpr std::pair<std::string_view, std::string_view>
            sources[] = {{"img", "src"},           {"img", "lowsrc"},
                         {"frame", "src"},         {"iframe", "src"},
                         {"embed", "src"},         {"script", "src"},
                         {"input", "src"},         {"bgsound", "src"},
                         {"area", "href"},         {"link", "href"},
                         {"form", "action"},       {"body", "background"},
                         {"table", "background"},  {"td", "background"},
                         {"th", "background"},     {"source", "src"},
                         {"audio", "src"},         {"video", "src"},
                         {"video", "poster"},      {"object", "data"},
                         {"button", "formaction"}, {"input", "formaction"},
                         {"use", "href"},          {"use", "xlink:href"},
                         {"img", "href"},          {"img", "xlink:href"},
                         {"a", "xlink:href"}};
        for (const auto& [name, attribute_name] : sources) {
            if (tag.name != name)
                continue;
            std::string value = attribute(tag.attributes, attribute_name);
            if (value.empty())
                continue;
            if (tag.name == "img" && attribute_name == "src" &&
                out_.image_sources.size() < max_links_)
                out_.image_sources.push_back(value);
            add_link({std::move(value), "", true});
        }
        if (tag.name == "img" || tag.name == "source")
            for (std::string& url :
                 srcset_urls(attribute(tag.attributes, "srcset")))
                add_link({std::move(url), "", true});
        if (tag.name == "meta" &&
            equals_ci(attribute(tag.attributes, "http-equiv"), "refresh")) {
            // content="5; url=http://example.com/"
            std::string content = attribute(tag.attributes, "content");
            size_t url = ascii_lower(content).find("url=");
            if (url != std::string::npos)
                add_link({std::string(trim_space(
                              std::string_view(content).substr(url + 4))),
                          "", true});
        }
        // A background or picture given in a style: url(...).
        if (!trim_space(tag.attributes).empty()) {
            std::string style = attribute(tag.attributes, "style");
            std::string lower = ascii_lower(style);
            for (size_t at = lower.find("url(");
                 at != std::string::npos && out_.links.size() < max_links_;
                 at = lower.find("url(", at + 4)) {
                size_t end = style.find(')', at + 4);
                std::string_view url =
                    trim_space(std::string_view(style).substr(
                        at + 4, end == std::string::npos ? std::string::npos
                                                         : end - at - 4));
                if (url.size() >= 2 &&
                    (url.front() == '"' || url.front() == '\'') &&
                    url.back() == url.front())
                    url = url.substr(1, url.size() - 2);
                if (!url.empty())
                    add_link({std::string(url), "", true});
                if (end == std::string::npos)
                    break;
            }
        }
    }

    // The addresses of a srcset: "a.jpg 1x, http://b.example/b.jpg 2x".
    static std::vector<std::string> srcset_urls(std::string_view srcset) {
        std::vector<std::string> out;
        constexpr size_t max_candidates = 32;
        for (size_t pos = 0;
             pos < srcset.size() && out.size() < max_candidates;) {
            while (pos < srcset.size() &&
                   (is_html_space(srcset[pos]) || srcset[pos] == ','))
                ++pos;
            size_t start = pos;
            while (pos < srcset.size() && !is_html_space(srcset[pos]))
                ++pos;
            std::string_view url = srcset.substr(start, pos - start);
            while (url.ends_with(','))
                url.remove_suffix(1);
            if (!url.empty())
                out.emplace_back(url);
            size_t comma = srcset.find(',', pos);
            pos = comma == std::string_view::npos ? srcset.size() : comma + 1;
        }
        return out;
    }

    void close_link() {
        if (!in_link_)
            return;
        add_link({href_, squeeze_space(link_text_)});
        in_link_ = false;
        href_.clear();
        link_text_.clear();
    }

    // A link written again with the same text is kept once, so that a
    // report of ten thousand rows linking one page keeps one link; one
    // that finds no room is counted as dropped.
    void add_link(Link link) {
        std::string key = link.href;
        key += '\0';
        key += link.text;
        if (link_keys_.count(key))
            return;
        if (out_.links.size() >= max_links_) {
            out_.links_dropped = true;
            return;
        }
        link_keys_.insert(std::move(key));
        out_.links.push_back(std::move(link));
    }

    // A link's text says which site it claims to be; past this much, an
    // anchor never closed would only keep the rest of the part twice.
    static constexpr size_t max_link_text_bytes = 4096;

    // An srcdoc in an srcdoc is read this deep; deeper, it is counted
    // as hidden. Each lies inside the document around it, so each depth
    // reads at most the bytes of the part once more.
    static constexpr int max_srcdoc_depth = 3;

    std::string_view html_;
    size_t max_links_; ///< links and picture addresses kept, each
    Hidden hidden_;
    int depth_; ///< of srcdoc documents around this one
    size_t pos_ = 0;
    Html out_;
    bool in_link_ = false;
    std::vector<std::string> overrides_; ///< open right-to-left overrides
    OpenElements elements_;
    bool seen_element_ = false; ///< a start tag came: no doctype after it
    bool seen_text_ = false;    ///< so did text other than blanks
    bool body_style_ = false;   ///< the body has a style attribute
    bool body_hidden_ = false;  ///< the body has a hidden attribute
    std::string href_;
    std::string link_text_;
    std::unordered_set<std::string> link_keys_; ///< the links kept
};

} // namespace

Html html_to_text(std::string_view html, size_t max_links, Hidden hidden) {
    return Renderer(html, max_links, hidden).run();
}

} // namespace portcullis::text
