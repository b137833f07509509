// HTML reduced to the text a mail reader shows. A tolerant scanner, not a
// DOM: spam HTML is broken on purpose, so every construct ends at the end
// of input at the latest, and text hidden with CSS is counted, not shown.
#include "mail/text.hpp"

#include <strings.h>

#include <cstdlib>
#include <string>

namespace portcullis::text {

namespace {

struct Tag {
    std::string name; ///< lower case, without '/'
    bool closing = false;
    std::string attributes;
};

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

void append_code_point(std::string& out, unsigned long cp) {
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Decodes one character reference starting at '&'; returns false and
// leaves pos alone when it is not one.
bool decode_entity(std::string_view html, size_t& pos, std::string& out) {
    size_t end = html.find(';', pos);
    if (end == std::string_view::npos || end - pos > 10)
        return false;
    std::string_view name = html.substr(pos + 1, end - pos - 1);
    if (!name.empty() && name[0] == '#') {
        std::string digits(name.substr(1));
        bool hex = !digits.empty() && (digits[0] == 'x' || digits[0] == 'X');
        char* stop = nullptr;
        unsigned long cp =
            std::strtoul(digits.c_str() + (hex ? 1 : 0), &stop, hex ? 16 : 10);
        if (digits.size() < (hex ? 2u : 1u) || *stop != '\0')
            return false;
        append_code_point(out, cp);
        pos = end + 1;
        return true;
    }
    static const std::pair<const char*, unsigned long> named[] = {
        {"amp", '&'},      {"lt", '<'},        {"gt", '>'},
        {"quot", '"'},     {"apos", '\''},     {"nbsp", 0xA0},
        {"copy", 0xA9},    {"reg", 0xAE},      {"euro", 0x20AC},
        {"pound", 0xA3},   {"trade", 0x2122},  {"mdash", 0x2014},
        {"ndash", 0x2013}, {"hellip", 0x2026}, {"zwnj", 0x200C},
        {"zwj", 0x200D},   {"shy", 0xAD},      {"rsquo", 0x2019},
        {"lsquo", 0x2018}, {"rdquo", 0x201D},  {"ldquo", 0x201C},
        {"bull", 0x2022},  {"middot", 0xB7},
    };
    for (auto& [entity, cp] : named) {
        if (iequals(name, entity)) {
            append_code_point(out, cp);
            pos = end + 1;
            return true;
        }
    }
    return false;
}

// Returns the value of one attribute, entities decoded, or empty.
std::string attribute(std::string_view attributes, std::string_view name) {
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
        if (iequals(key, name)) {
            std::string decoded;
            for (size_t i = 0; i < value.size();) {
                if (value[i] == '&' && decode_entity(value, i, decoded))
                    continue;
                decoded += value[i++];
            }
            return decoded;
        }
    }
    return "";
}

// Reads the tag that starts at '<'; pos ends after its '>'.
Tag read_tag(std::string_view html, size_t& pos) {
    Tag tag;
    size_t i = pos + 1;
    if (i < html.size() && html[i] == '/') {
        tag.closing = true;
        ++i;
    }
    size_t name_start = i;
    while (i < html.size() &&
           (std::isalnum(static_cast<unsigned char>(html[i])) ||
            html[i] == '!' || html[i] == '-'))
        ++i;
    tag.name = lower(html.substr(name_start, i - name_start));
    // Quoted '>' inside attributes does not end the tag.
    char quote = 0;
    size_t attr_start = i;
    while (i < html.size() && (quote || html[i] != '>')) {
        if (quote && html[i] == quote)
            quote = 0;
        else if (!quote && (html[i] == '"' || html[i] == '\''))
            quote = html[i];
        ++i;
    }
    tag.attributes = html.substr(attr_start, i - attr_start);
    pos = i < html.size() ? i + 1 : html.size();
    return tag;
}

bool hides_content(const Tag& tag) {
    std::string style = lower(attribute(tag.attributes, "style"));
    std::string compact;
    for (char c : style)
        if (!std::isspace(static_cast<unsigned char>(c)))
            compact += c;
    return compact.find("display:none") != std::string::npos ||
           compact.find("visibility:hidden") != std::string::npos ||
           compact.find("font-size:0") != std::string::npos ||
           compact.find("font-size:1px") != std::string::npos ||
           (tag.name == "font" && attribute(tag.attributes, "size") == "0");
}

bool is_block(std::string_view name) {
    static const char* blocks[] = {
        "br", "p",  "div",   "tr",     "td", "th",    "li", "h1",
        "h2", "h3", "h4",    "h5",     "h6", "table", "hr", "blockquote",
        "ul", "ol", "title", "center", "dd", "dt"};
    for (const char* block : blocks)
        if (name == block)
            return true;
    return false;
}

// Skips to the end of an element whose content is never shown, or to the
// matching close of a hidden element, counting nested opens of its name.
size_t skip_element(std::string_view html, size_t pos,
                    const std::string& name) {
    int depth = 1;
    while (pos < html.size()) {
        size_t open = html.find('<', pos);
        if (open == std::string_view::npos)
            return html.size();
        pos = open;
        Tag tag = read_tag(html, pos);
        if (tag.name != name)
            continue;
        depth += tag.closing ? -1 : 1;
        if (depth == 0)
            return pos;
    }
    return html.size();
}

class Renderer {
public:
    explicit Renderer(std::string_view html) : html_(html) {}

    Html run() {
        while (pos_ < html_.size()) {
            char c = html_[pos_];
            if (c == '<')
                on_tag();
            else if (c == '&')
                on_entity();
            else
                emit_char(c);
        }
        close_link();
        return std::move(out_);
    }

private:
    void emit_char(char c) {
        out_.text += c;
        if (in_link_)
            link_text_ += c;
        ++pos_;
    }

    void on_entity() {
        std::string decoded;
        if (!decode_entity(html_, pos_, decoded)) {
            emit_char('&');
            return;
        }
        out_.text += decoded;
        if (in_link_)
            link_text_ += decoded;
    }

    void on_tag() {
        if (html_.substr(pos_, 4) == "<!--") {
            size_t end = html_.find("-->", pos_ + 4);
            pos_ = end == std::string_view::npos ? html_.size() : end + 3;
            return;
        }
        size_t start = pos_;
        Tag tag = read_tag(html_, pos_);
        if (tag.name.empty() && !tag.closing) {
            // A lone '<' in text, as in "a < b".
            pos_ = start;
            emit_char('<');
            return;
        }
        if (!tag.closing && (tag.name == "script" || tag.name == "style")) {
            pos_ = skip_element(html_, pos_, tag.name);
            return;
        }
        if (!tag.closing && hides_content(tag) && tag.name != "br" &&
            tag.name != "img") {
            size_t end = skip_element(html_, pos_, tag.name);
            out_.hidden_bytes += end - pos_;
            pos_ = end;
            return;
        }
        on_element(tag);
    }

    void on_element(const Tag& tag) {
        if (is_block(tag.name))
            out_.text += '\n';
        else if (tag.name == "td" || tag.name == "span")
            out_.text += ' ';
        if (tag.name == "a") {
            close_link();
            if (!tag.closing) {
                href_ = attribute(tag.attributes, "href");
                in_link_ = true;
            }
        }
        if (tag.name == "img" && !tag.closing) {
            std::string src = attribute(tag.attributes, "src");
            if (!src.empty())
                out_.image_sources.push_back(std::move(src));
        }
        if (tag.name == "form" && !tag.closing) {
            std::string action = attribute(tag.attributes, "action");
            if (!action.empty())
                out_.links.push_back({action, ""});
        }
    }

    void close_link() {
        if (!in_link_)
            return;
        out_.links.push_back({href_, squeeze_space(link_text_)});
        in_link_ = false;
        href_.clear();
        link_text_.clear();
    }

    std::string_view html_;
    size_t pos_ = 0;
    Html out_;
    bool in_link_ = false;
    std::string href_;
    std::string link_text_;
};

} // namespace

Html html_to_text(std::string_view html) {
    return Renderer(html).run();
}

} // namespace portcullis::text
