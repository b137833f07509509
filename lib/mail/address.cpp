// The address parser: a recursive descent over RFC 5322 section 3.4 with
// the obsolete forms of section 4.4, written so that every byte is either
// part of the grammar or a reason to refuse the whole field.
#include "mail/address.hpp"

#include "core/watchdog.hpp"
#include "mail/charset.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace portcullis::mail {

namespace {

bool is_atext(unsigned char c) {
    // RFC 6532: UTF-8 beyond ASCII is allowed wherever atext is.
    if (c >= 0x80 || std::isalnum(c))
        return true;
    return c != 0 && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

bool is_wsp(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Domains decide policy, so only what DNS names hold is accepted here,
// not the whole of atext: "exa!mple.com" is a trick, not a host.
bool is_domain_char(unsigned char c) {
    return c >= 0x80 || std::isalnum(c) || c == '-' || c == '_';
}

std::string describe(char c) {
    if (c == '\'')
        return "\"'\"";
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        return fmt::format("byte 0x{:02x}", static_cast<unsigned char>(c));
    return fmt::format("'{}'", c);
}

// One word or dot of a phrase, before we know whether the phrase is a
// display name or a local part.
struct Item {
    enum Kind { atom, quoted, dot } kind;
    std::string text;
    bool space_before = false;
};

std::string decode_phrase(const std::string& raw) {
    return mime::decode_encoded_words(raw);
}

class Parser {
public:
    explicit Parser(std::string_view text) : text_(text) {}

    Result<std::vector<Mailbox>> address_list();

private:
    bool at_end() const { return pos_ >= text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[pos_]; }
    Error fail(std::string message) const { return Error{"", message}; }
    Error unexpected(std::string_view where) const;

    Status skip_cfws();
    Status comment();
    Result<std::string> quoted_string();
    std::string atom();
    Result<std::vector<Item>> phrase();
    Result<std::string> domain();
    Result<std::string> domain_literal();
    Status obs_route();
    Status address(std::vector<Mailbox>& out, const std::string& group);
    Status angle_addr(Mailbox& box);
    Status addr_spec_after(const std::vector<Item>& items, Mailbox& box);
    Status group(const std::vector<Item>& items, std::vector<Mailbox>& out);

    std::string_view text_;
    size_t pos_ = 0;
    std::string last_comment_;
    bool space_seen_ = false;
};

Error Parser::unexpected(std::string_view where) const {
    if (at_end())
        return fail(fmt::format("address ends {}", where));
    char c = peek();
    if (c == ')')
        return fail(fmt::format("unbalanced ')' at offset {}", pos_));
    if (c == '[')
        return fail(
            fmt::format("'[' outside a domain literal at offset {}", pos_));
    return fail(
        fmt::format("unexpected {} {} at offset {}", describe(c), where, pos_));
}

Status Parser::comment() {
    size_t start = pos_;
    int depth = 0;
    std::string text;
    while (!at_end()) {
        char c = text_[pos_++];
        if (c == '\\' && !at_end()) {
            text += text_[pos_++];
            continue;
        }
        if (c == '(' && depth++ == 0)
            continue;
        if (c == ')' && --depth == 0) {
            last_comment_ = text;
            return {};
        }
        text += c;
    }
    return fail(fmt::format("unterminated comment at offset {}", start));
}

Status Parser::skip_cfws() {
    space_seen_ = false;
    while (!at_end()) {
        char c = peek();
        if (is_wsp(c)) {
            ++pos_;
            space_seen_ = true;
            continue;
        }
        if (c != '(')
            return {};
        if (auto s = comment(); !s)
            return s;
        space_seen_ = true;
    }
    return {};
}

Result<std::string> Parser::quoted_string() {
    size_t start = pos_++;
    std::string text;
    while (!at_end()) {
        char c = text_[pos_++];
        if (c == '"')
            return text;
        if (c == '\\') {
            if (at_end())
                break;
            c = text_[pos_++];
        } else if (c == '\r' || c == '\n') {
            continue; // folding inside a quoted string is not content
        }
        if (c == '\0')
            return fail(
                fmt::format("NUL in quoted string at offset {}", pos_ - 1));
        text += c;
    }
    return fail(fmt::format("unterminated quoted string at offset {}", start));
}

std::string Parser::atom() {
    size_t start = pos_;
    while (!at_end() && is_atext(static_cast<unsigned char>(peek())))
        ++pos_;
    return std::string(text_.substr(start, pos_ - start));
}

Result<std::vector<Item>> Parser::phrase() {
    std::vector<Item> items;
    for (;;) {
        if (auto s = skip_cfws(); !s)
            return s.error();
        bool space = space_seen_ || items.empty();
        char c = peek();
        if (c == '"') {
            auto text = quoted_string();
            if (!text)
                return text.error();
            items.push_back({Item::quoted, std::move(*text), space});
        } else if (c == '.') {
            ++pos_;
            items.push_back({Item::dot, ".", space});
        } else if (!at_end() && is_atext(static_cast<unsigned char>(c))) {
            items.push_back({Item::atom, atom(), space});
        } else {
            return items;
        }
    }
}

Result<std::string> Parser::domain_literal() {
    size_t start = pos_++;
    std::string text = "[";
    while (!at_end()) {
        char c = text_[pos_++];
        if (c == ']')
            return text + "]";
        if (c == '[' || c == '\\' || c == '\0')
            return fail(fmt::format("{} inside a domain literal at offset {}",
                                    describe(c), pos_ - 1));
        if (!is_wsp(c))
            text += c;
    }
    return fail(fmt::format("unterminated domain literal at offset {}", start));
}

Result<std::string> Parser::domain() {
    if (auto s = skip_cfws(); !s)
        return s.error();
    if (peek() == '[') {
        auto literal = domain_literal();
        if (!literal)
            return literal;
        if (auto s = skip_cfws(); !s)
            return s.error();
        return literal;
    }
    std::string out;
    for (;;) {
        size_t start = pos_;
        while (!at_end() && is_domain_char(static_cast<unsigned char>(peek())))
            ++pos_;
        if (pos_ == start)
            return unexpected("where a domain label should be");
        out.append(text_.substr(start, pos_ - start));
        if (auto s = skip_cfws(); !s)
            return s.error();
        if (peek() != '.')
            return out;
        ++pos_;
        out += '.';
        if (auto s = skip_cfws(); !s)
            return s.error();
        // "example.org." is the DNS root form of example.org: every
        // reader delivers it there, so it names the same domain.
        if (at_end() || (peek() != '.' &&
                         !is_domain_char(static_cast<unsigned char>(peek()))))
            return out;
    }
}

// RFC 5322 section 4.4 obs-route: "@a,@b:" before the addr-spec, which
// says nothing today and is dropped.
Status Parser::obs_route() {
    for (;;) {
        if (auto s = skip_cfws(); !s)
            return s;
        if (peek() == ',') {
            ++pos_;
            continue;
        }
        if (peek() == ':') {
            ++pos_;
            return {};
        }
        if (peek() != '@')
            return unexpected("in a route");
        ++pos_;
        if (auto d = domain(); !d)
            return d.error();
    }
}

Status Parser::addr_spec_after(const std::vector<Item>& items, Mailbox& box) {
    // local-part = word *("." word): words and dots must alternate.
    bool want_word = true;
    for (const Item& item : items) {
        bool is_word = item.kind != Item::dot;
        if (is_word != want_word)
            return fail(is_word ? "words without a dot before '@' (a "
                                  "display name needs angle brackets)"
                                : "misplaced '.' in local part");
        box.local_part += item.text;
        want_word = !want_word;
    }
    if (items.empty() || want_word)
        return fail(items.empty() ? "empty local part"
                                  : "local part ends with '.'");
    ++pos_; // the '@'
    auto d = domain();
    if (!d)
        return d.error();
    box.domain = std::move(*d);
    return {};
}

Status Parser::angle_addr(Mailbox& box) {
    ++pos_; // the '<'
    if (auto s = skip_cfws(); !s)
        return s;
    if (peek() == '@' || peek() == ',') {
        if (auto s = obs_route(); !s)
            return s;
    }
    auto items = phrase();
    if (!items)
        return items.error();
    if (peek() != '@')
        return unexpected("where '@' should be");
    if (auto s = addr_spec_after(*items, box); !s)
        return s;
    if (peek() != '>')
        return unexpected("where '>' should be");
    ++pos_;
    return skip_cfws();
}

std::string display_text(const std::vector<Item>& items) {
    std::string raw;
    for (const Item& item : items) {
        if (!raw.empty() && item.space_before)
            raw += ' ';
        raw += item.text;
    }
    return decode_phrase(raw);
}

Status Parser::group(const std::vector<Item>& items,
                     std::vector<Mailbox>& out) {
    ++pos_; // the ':'
    std::string name = display_text(items);
    for (;;) {
        if (auto s = skip_cfws(); !s)
            return s;
        if (at_end())
            return {}; // "undisclosed-recipients:" without its ';'
        if (peek() == ';') {
            ++pos_;
            return skip_cfws();
        }
        if (peek() == ',') {
            ++pos_;
            continue;
        }
        if (auto s = address(out, name); !s)
            return s;
        if (peek() != ',' && peek() != ';' && !at_end())
            return unexpected("after an address in a group");
    }
}

Status Parser::address(std::vector<Mailbox>& out, const std::string& group) {
    last_comment_.clear();
    auto items = phrase();
    if (!items)
        return items.error();
    std::string comment_before = last_comment_;
    Mailbox box;
    box.group = group;
    char c = peek();
    if (c == '<') {
        box.display_name = display_text(*items);
        if (auto s = angle_addr(box); !s)
            return s;
    } else if (c == ':' && !items->empty()) {
        if (!group.empty())
            return fail("a group inside a group");
        if ((*items)[0].kind == Item::dot)
            return fail("group name starts with '.'");
        return this->group(*items, out);
    } else if (c == '@') {
        if (auto s = addr_spec_after(*items, box); !s)
            return s;
    } else if (items->empty()) {
        return unexpected("where an address should be");
    } else {
        return unexpected(fmt::format("after \"{}\"", display_text(*items)));
    }
    if (!box.display_name.empty() && (*items)[0].kind == Item::dot)
        return fail("display name starts with '.'");
    box.comment = last_comment_.empty() ? comment_before : last_comment_;
    out.push_back(std::move(box));
    return {};
}

Result<std::vector<Mailbox>> Parser::address_list() {
    if (text_.find('\0') != std::string_view::npos)
        return fail("NUL in address");
    std::vector<Mailbox> out;
    for (;;) {
        if (auto s = skip_cfws(); !s)
            return s.error();
        if (at_end())
            return out;
        if (peek() == ',') { // obs-addr-list allows empty elements
            ++pos_;
            continue;
        }
        // A header may list millions of addresses: past the parse
        // timeout the message fails alone, before the watchdog ends the
        // run.
        if (deadline_passed())
            return fail("address list not read within the parse timeout");
        if (auto s = address(out, ""); !s)
            return s.error();
        if (!at_end() && peek() != ',')
            return unexpected("after an address");
    }
}

bool needs_quotes(std::string_view local) {
    if (local.empty() || local.front() == '.' || local.back() == '.')
        return true;
    for (size_t i = 0; i < local.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(local[i]);
        if (c == '.' ? local[i + 1] == '.' : !is_atext(c))
            return true;
    }
    return false;
}

// Full-width and small commercial at signs look like "@" to a reader.
std::string fold_at_signs(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text.substr(i, 3) == "\xEF\xBC\xA0" ||
            text.substr(i, 3) == "\xEF\xB9\xAB") {
            out += '@';
            i += 2;
            continue;
        }
        out += text[i];
    }
    return out;
}

bool same_or_parent(std::string_view shown, std::string_view real) {
    if (shown == real)
        return true;
    return real.size() > shown.size() &&
           real.substr(real.size() - shown.size()) == shown &&
           real[real.size() - shown.size() - 1] == '.';
}

} // namespace

std::string Mailbox::address() const {
    if (!needs_quotes(local_part))
        return local_part + "@" + domain;
    std::string quoted = "\"";
    for (char c : local_part) {
        if (c == '"' || c == '\\')
            quoted += '\\';
        quoted += c;
    }
    return quoted + "\"@" + domain;
}

Result<std::vector<Mailbox>> parse_address_list(std::string_view text) {
    return Parser(text).address_list();
}

Result<Mailbox> parse_mailbox(std::string_view text) {
    auto list = parse_address_list(text);
    if (!list)
        return list.error();
    if (list->size() != 1 || !list->front().group.empty())
        return Error{
            "", fmt::format("expected one mailbox, found {}", list->size())};
    return std::move(list->front());
}

Result<std::string> parse_path(std::string_view text) {
    size_t b = text.find_first_not_of(" \t\r\n");
    size_t e = text.find_last_not_of(" \t\r\n");
    if (b != std::string_view::npos && text.substr(b, e - b + 1) == "<>")
        return std::string();
    auto box = parse_mailbox(text);
    if (!box)
        return box.error();
    return box->address();
}

bool display_name_spoof(std::string_view display, std::string_view address) {
    std::string text = fold_at_signs(display);
    std::string real = domain_of(address);
    for (size_t at = text.find('@'); at != std::string::npos;
         at = text.find('@', at + 1)) {
        size_t end = at + 1;
        while (end < text.size() &&
               (is_domain_char(static_cast<unsigned char>(text[end])) ||
                text[end] == '.'))
            ++end;
        std::string shown = domain_of(text.substr(at, end - at));
        // A name like "Sales @ HQ" has no dot and names no domain.
        if (shown.find('.') == std::string::npos)
            continue;
        if (!same_or_parent(shown, real))
            return true;
    }
    return false;
}

} // namespace portcullis::mail
