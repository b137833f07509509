// Finding and normalising links. The written form of a link in spam is
// chosen to slip past filters; each rule here undoes one such trick, and
// a link that needed undoing is marked obfuscated.
#include "mail/uri.hpp"
#include "core/strings.hpp"
#include "mail/address.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>

namespace portcullis::uri {

namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
    for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos;
         pos += to.size())
        s.replace(pos, from.size(), to);
}

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() + 0 && hex_value(s[i + 1]) >= 0 &&
            hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) * 16 +
                                     hex_value(s[i + 2]));
            i += 2;
            continue;
        }
        out += s[i];
    }
    return out;
}

// Reads one part of a numeric host as C's inet_aton does: 0x hex,
// leading-zero octal, else decimal. Browsers accept all three.
bool parse_number(std::string_view s, uint64_t& out) {
    if (s.empty() || s.size() > 12)
        return false;
    int base = 10;
    if (s.size() > 2 && (s.substr(0, 2) == "0x" || s.substr(0, 2) == "0X")) {
        base = 16;
        s.remove_prefix(2);
    } else if (s.size() > 1 && s[0] == '0') {
        base = 8;
    }
    std::string digits(s);
    char* end = nullptr;
    out = std::strtoull(digits.c_str(), &end, base);
    return *end == '\0';
}

// Returns the dotted quad of a host written as 1-4 numbers, or empty.
std::string numeric_host(std::string_view host) {
    std::vector<uint64_t> parts;
    size_t start = 0;
    while (start <= host.size()) {
        size_t dot = host.find('.', start);
        if (dot == std::string_view::npos)
            dot = host.size();
        uint64_t value = 0;
        if (!parse_number(host.substr(start, dot - start), value))
            return "";
        parts.push_back(value);
        start = dot + 1;
    }
    if (parts.empty() || parts.size() > 4)
        return "";
    uint64_t address = 0;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
        if (parts[i] > 255)
            return "";
        address |= parts[i] << (8 * (3 - i));
    }
    uint64_t last_limit = 1ull << (8 * (5 - parts.size()));
    if (parts.back() >= last_limit)
        return "";
    address |= parts.back();
    return std::to_string((address >> 24) & 255) + "." +
           std::to_string((address >> 16) & 255) + "." +
           std::to_string((address >> 8) & 255) + "." +
           std::to_string(address & 255);
}

bool is_url_char(unsigned char c) {
    return c > 0x20 && c != '<' && c != '>' && c != '"' && c != '\'' &&
           c != '`' && c != '{' && c != '}' && c != '|' && c != '^' &&
           c != 0x7F;
}

// Returns whether a link start can begin at pos: only "ht", "hx", "ft"
// and "ww" can, and most h, f and w in text are followed by other
// letters, so the full comparison runs rarely.
bool may_start_link(std::string_view text, size_t pos) {
    if (pos + 1 >= text.size())
        return false;
    char c = static_cast<char>(text[pos] | 0x20);
    char next = static_cast<char>(text[pos + 1] | 0x20);
    switch (c) {
    case 'h':
        return next == 't' || next == 'x';
    case 'f':
        return next == 't';
    case 'w':
        return next == 'w';
    }
    return false;
}

// Browsers drop tabs and line ends anywhere in a link (WHATWG URL).
void drop_tabs_and_line_ends(std::string& link) {
    std::erase_if(link,
                  [](char c) { return c == '\t' || c == '\n' || c == '\r'; });
}

// Undoes "[.]", "(dot)", hxxp and friends in the written form.
std::string unmask(std::string_view written, bool& changed) {
    std::string s(written);
    std::string before = s;
    replace_all(s, "[.]", ".");
    replace_all(s, "(.)", ".");
    replace_all(s, "[dot]", ".");
    replace_all(s, "(dot)", ".");
    replace_all(s, "\\", "/");
    if (starts_with_ci(s, "hxxp"))
        s.replace(0, 4, "http");
    if (starts_with_ci(s, "hxxps"))
        s.replace(0, 5, "https");
    changed = s != before;
    return s;
}

} // namespace

Uri normalize(std::string_view written, Hosts hosts) {
    Uri uri;
    uri.written.emplace_back(written);
    bool changed = false;
    std::string s = unmask(written, changed);
    // Browsers drop tabs and line ends anywhere in a link, and read
    // "http:host" and "https:/host" as "http://host" (WHATWG URL).
    size_t before = s.size();
    drop_tabs_and_line_ends(s);
    changed = changed || s.size() != before;
    for (std::string_view web : {"http:", "https:"}) {
        if (!starts_with_ci(s, web) || s.compare(web.size(), 2, "//") == 0)
            continue;
        size_t slashes =
            std::min(s.find_first_not_of('/', web.size()), s.size());
        s.replace(web.size(), slashes - web.size(), "//");
        changed = true;
        break;
    }
    uri.obfuscated = changed;

    std::string scheme = "http";
    bool web_scheme = false;
    size_t colon = s.find("://");
    if (colon != std::string::npos && colon < 10) {
        scheme = ascii_lower(s.substr(0, colon));
        web_scheme = scheme == "http" || scheme == "https";
        s.erase(0, colon + 3);
    } else if (starts_with_ci(s, "mailto:") || starts_with_ci(s, "tel:") ||
               starts_with_ci(s, "javascript:") || starts_with_ci(s, "cid:") ||
               starts_with_ci(s, "data:") || starts_with_ci(s, "#")) {
        return uri;
    }
    while (!s.empty() && s[0] == '/')
        s.erase(0, 1);

    size_t path_at = s.find_first_of("/?#");
    std::string authority = s.substr(0, path_at);
    std::string rest = path_at == std::string::npos ? "" : s.substr(path_at);
    // "http://bank.example@evil.example/" goes to evil.example.
    size_t at = authority.rfind('@');
    if (at != std::string::npos) {
        authority.erase(0, at + 1);
        uri.obfuscated = true;
    }
    std::string host = percent_decode(authority);
    if (host != authority)
        uri.obfuscated = true;
    size_t port = host.rfind(':');
    if (port != std::string::npos && host.find(']') == std::string::npos)
        host.erase(port);
    std::string folded = text::fold_host(host);
    uri.lookalike_host = folded != ascii_lower(host);
    host = folded;
    while (!host.empty() && host.back() == '.')
        host.pop_back();
    std::string quad = numeric_host(host);
    if (!quad.empty()) {
        uri.numeric_host = true;
        uri.obfuscated = uri.obfuscated || quad != host;
        host = quad;
    }
    bool one_label =
        hosts == Hosts::labels_too && web_scheme &&
        std::all_of(host.begin(), host.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
        });
    if (host.empty() || (host.find('.') == std::string::npos && !one_label))
        return uri;
    uri.host = host;
    uri.url = scheme + "://" + host + rest;
    return uri;
}

namespace {

// The forms of a link SpamAssassin's uri rules read, as its
// Util::uri_list_canonicalize makes them; read there for behaviour and
// written anew. Each step that changes the link adds a form; the link
// as written is always one.
class FormMaker {
public:
    std::vector<std::string> make(std::string_view written) {
        pending_.emplace_back(written);
        // A redirector's target is read in turn, and may hold another:
        // each is shorter than the link holding it, so this ends, and
        // max_forms bounds what a link of nested targets costs.
        while (!pending_.empty() && out_.size() < max_forms) {
            std::string next = std::move(pending_.back());
            pending_.pop_back();
            read(next);
        }
        return std::move(out_);
    }

private:
    static constexpr size_t max_forms = 16;

    void add(std::string form) {
        if (seen_.insert(form).second)
            out_.push_back(std::move(form));
    }

    void read(std::string uri);
    void read_mailto(const std::string& uri);
    void read_host(const std::string& nuri);

    std::vector<std::string> pending_;
    std::vector<std::string> out_;
    std::set<std::string> seen_;
};

bool is_hex_digit(char c) {
    return hex_value(c) >= 0;
}

// SpamAssassin's url_encode, which decodes: an escape of a printable
// byte (%21 to %7e) is decoded, others stay; between escapes, blanks,
// control and 8-bit bytes, '"', '%', '<' and '>' are escaped.
std::string decode_printable_escapes(std::string_view s) {
    std::string out;
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && is_hex_digit(s[i + 1]) &&
            is_hex_digit(s[i + 2])) {
            int first = hex_value(s[i + 1]);
            int value = first * 16 + hex_value(s[i + 2]);
            if (first >= 2 && first <= 7 && value != 0x20 && value != 0x7f)
                out += static_cast<char>(value);
            else
                out.append(s.substr(i, 3));
            i += 2;
            continue;
        }
        auto c = static_cast<unsigned char>(s[i]);
        if (c <= 0x20 || c >= 0x7f || c == '"' || c == '%' || c == '<' ||
            c == '>') {
            out += '%';
            out += digits[c >> 4];
            out += digits[c & 15];
            continue;
        }
        out += s[i];
    }
    return out;
}

// A character reference SpamAssassin decodes in a link: printable ASCII
// (&#104; or &#x68;) and the full stops of other scripts (&#x3002;).
// Returns the byte, or 0.
char referenced_char(std::string_view digits, bool hex) {
    size_t zeros = digits.find_first_not_of('0');
    std::string_view value = zeros == std::string_view::npos
                                 ? std::string_view("0")
                                 : digits.substr(zeros);
    if (value.size() > 6)
        return 0;
    unsigned long cp =
        std::strtoul(std::string(value).c_str(), nullptr, hex ? 16 : 10);
    if (cp == 0x2e || cp == 0x3002 || cp == 0xff0e || cp == 0xff61)
        return '.';
    // SpamAssassin's hex pattern leaves out &#x2a; to &#x2f;.
    bool printable =
        hex ? (cp >= 0x21 && cp <= 0x29) || (cp >= 0x30 && cp <= 0x7e)
            : cp >= 0x21 && cp <= 0x7e;
    return printable ? static_cast<char>(cp) : 0;
}

std::string decode_references(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '&' && i + 1 < s.size() && s[i + 1] == '#') {
            size_t j = i + 2;
            bool hex = j < s.size() && (s[j] == 'x' || s[j] == 'X');
            j += hex ? 1 : 0;
            size_t start = j;
            while (j < s.size() &&
                   (hex ? is_hex_digit(s[j])
                        : std::isdigit(static_cast<unsigned char>(s[j]))))
                ++j;
            // Only the full stops are read after an upper-case X.
            char c = j > start && j < s.size() && s[j] == ';'
                         ? referenced_char(s.substr(start, j - start), hex)
                         : 0;
            if (c != 0 && (c == '.' || s[i + 2] != 'X')) {
                out += c;
                i = j;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

bool has_escape(std::string_view s) {
    for (size_t i = 0; i + 2 < s.size(); ++i)
        if (s[i] == '%' && is_hex_digit(s[i + 1]) && is_hex_digit(s[i + 2]))
            return true;
    return false;
}

// Whether s starts with a scheme: letters, digits, '-' and '_', then ':'.
bool has_scheme(std::string_view s) {
    size_t i = 0;
    while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) ||
                            s[i] == '-' || s[i] == '_'))
        ++i;
    return i > 0 && i < s.size() && s[i] == ':';
}

void FormMaker::read(std::string uri) {
    std::erase(uri, '\n');
    std::erase(uri, '\r');
    uri = std::string(trim_space(uri));
    // Fragments, queries and paths alone are no links ("//host" is).
    if (uri.size() <= 1 || uri[0] == '#' || uri[0] == '?' || uri[0] == '&' ||
        (uri[0] == '/' && uri[1] != '/'))
        return;
    add(uri);
    size_t at = uri.find('@');
    if (starts_with_ci(uri, "mailto:") ||
        (at != std::string::npos && uri.find(':') > at)) {
        read_mailto(uri);
        return;
    }
    std::string nuri = uri;
    std::replace(nuri.begin(), nuri.end(), '\\', '/');
    for (std::string_view scheme : {"http:", "https:"}) {
        if (!starts_with_ci(nuri, scheme))
            continue;
        size_t slashes = nuri.find_first_not_of('/', scheme.size());
        slashes = std::min(slashes, nuri.size()) - scheme.size();
        nuri.replace(scheme.size(), std::min<size_t>(slashes, 2), "//");
        break;
    }
    if (has_escape(nuri))
        nuri = decode_printable_escapes(nuri);
    if (!has_scheme(nuri))
        nuri.insert(0, nuri.rfind("ftp.", 0) == 0 ? "ftp://" : "http://");
    // "http://host?q" is "http://host/?q".
    size_t authority = starts_with_ci(nuri, "http://")    ? 7
                       : starts_with_ci(nuri, "https://") ? 8
                                                          : 0;
    if (authority > 0) {
        size_t end = nuri.find_first_of("/?#", authority);
        if (end != std::string::npos && end > authority && nuri[end] != '/')
            nuri.insert(end, "/");
    }
    nuri = decode_references(nuri);
    if (nuri != uri)
        add(nuri);
    read_host(nuri);
}

// SpamAssassin keeps a mailto: link as written and adds its address
// without what follows it: ?subject=, &cc=, %20 padding, a display name.
void FormMaker::read_mailto(const std::string& uri) {
    size_t at = uri.find('@');
    if (at == std::string::npos)
        return;
    size_t question = uri.find('?', at + 1);
    if (at > 0 && question != std::string::npos && question > at + 1)
        add(uri.substr(0, question));
    size_t amp = uri.find_first_of("?&", at + 1);
    if (at > 0 && amp != std::string::npos && uri[amp] == '&' && amp > at + 1)
        add(uri.substr(0, amp));
    if (uri.find("%20") != std::string::npos) {
        size_t start = uri.rfind("mailto:", 0) == 0 ? 7 : 0;
        while (uri.compare(start, 3, "%20") == 0)
            start += 3;
        size_t address_at = uri.find('@', start);
        size_t end = uri.find_first_of("?&%", address_at);
        if (address_at != std::string::npos && address_at > start &&
            end != address_at + 1)
            add("mailto:" + uri.substr(start, end - start));
    }
    size_t open = uri.find('<');
    if (open != std::string::npos && uri.find_first_of("?&") > open) {
        size_t close = uri.find('>', open);
        std::string inside = close == std::string::npos
                                 ? ""
                                 : uri.substr(open + 1, close - open - 1);
        size_t inner_at = inside.find('@');
        if (inner_at != std::string::npos && inner_at > 0 &&
            inner_at + 1 < inside.size())
            add("mailto:" + inside);
    }
}

// A host SpamAssassin reads as an address: four numbers (each hex,
// octal or decimal), one hex number (its last 32 bits) or one decimal
// number. Sets quad to its dotted form, left empty when that is no
// address (a part over 255, a number over 32 bits).
bool numeric_shape(std::string_view host, std::string& quad) {
    auto is_hex = [](std::string_view part) {
        return part.size() > 2 && part[0] == '0' &&
               (part[1] == 'x' || part[1] == 'X') &&
               std::all_of(part.begin() + 2, part.end(), is_hex_digit);
    };
    auto is_decimal = [](std::string_view part) {
        return !part.empty() &&
               std::all_of(part.begin(), part.end(), [](char c) {
                   return std::isdigit(static_cast<unsigned char>(c));
               });
    };
    size_t dots =
        static_cast<size_t>(std::count(host.begin(), host.end(), '.'));
    if (dots == 0 && is_hex(host)) {
        std::string_view digits = host.substr(2);
        digits = digits.substr(digits.size() > 8 ? digits.size() - 8 : 0);
        quad = numeric_host("0x" + std::string(digits));
        return true;
    }
    if (dots == 0 && is_decimal(host)) {
        quad = host.size() <= 10 ? numeric_host(host) : "";
        return true;
    }
    if (dots != 3)
        return false;
    for (size_t start = 0, dot = 0; start <= host.size(); start = dot + 1) {
        dot = std::min(host.find('.', start), host.size());
        std::string_view part = host.substr(start, dot - start);
        if (!is_hex(part) && !is_decimal(part))
            return false;
    }
    quad = numeric_host(host);
    return true;
}

// The first http or https link in the rest of a link, up to & or #,
// as SpamAssassin reads a redirector's target; empty for none.
std::string redirect_target(std::string_view rest) {
    for (size_t i = 0; i + 5 < rest.size(); ++i) {
        if (!starts_with_ci(rest.substr(i), "http"))
            continue;
        size_t colon = i + 4;
        if (rest[colon] == 's' || rest[colon] == 'S')
            ++colon;
        if (colon + 1 >= rest.size() || rest[colon] != ':' ||
            rest[colon + 1] == '&' || rest[colon + 1] == '#')
            continue;
        size_t end = std::min(rest.find_first_of("&#", colon), rest.size());
        std::string_view target = rest.substr(i, end - i);
        return target.find('.') == std::string_view::npos ? ""
                                                          : std::string(target);
    }
    return "";
}

// The port of the rest of a link: the digits after its ':', as
// SpamAssassin reads them; empty when there are none.
std::string port_of(std::string_view rest) {
    if (rest.empty() || rest[0] != ':')
        return "";
    size_t end = 1;
    while (end < rest.size() &&
           std::isdigit(static_cast<unsigned char>(rest[end])))
        ++end;
    return std::string(rest.substr(1, end - 1));
}

// The host part, as SpamAssassin takes a link apart:
// scheme://[user-info@]host[:port]rest.
void FormMaker::read_host(const std::string& nuri) {
    std::string_view proto;
    for (std::string_view scheme : {"http://", "https://"})
        if (starts_with_ci(nuri, scheme))
            proto = std::string_view(nuri).substr(0, scheme.size());
    if (proto.empty())
        return;
    std::string scheme(proto);
    std::string_view after = std::string_view(nuri).substr(proto.size());
    size_t auth_at = after.find_first_of("@/?#");
    size_t auth_end = auth_at != std::string_view::npos && after[auth_at] == '@'
                          ? auth_at + 1
                          : 0;
    size_t host_end =
        std::min(after.find_first_of("/?#:", auth_end), after.size());
    std::string host(after.substr(auth_end, host_end - auth_end));
    std::string rest(after.substr(host_end));
    if (host.empty())
        return;
    std::string port = port_of(rest);
    bool http = proto == "http://";

    // An explicit default port, dropped.
    std::string_view default_port = http ? "80" : "443";
    size_t port_end = 1 + port.size();
    bool port_dropped =
        port == default_port &&
        (port_end == rest.size() ||
         !(std::isalpha(static_cast<unsigned char>(rest[port_end])) ||
           rest[port_end] == '_'));
    if (port_dropped)
        add(scheme + host + rest.substr(port_end));

    // An internationalised host, in the ASCII form DNS is asked for
    // (IDNA 2008 with the UTS #46 mapping, as SpamAssassin's libidn2
    // gives it): a rule written for "xn--pypal-4ve.com" reads the link
    // to "pаypal.com" that a reader saw.
    if (std::any_of(host.begin(), host.end(), [](char c) {
            return static_cast<unsigned char>(c) >= 0x80;
        })) {
        std::string ascii = mail::normal_domain(host);
        if (ascii.find("xn--") != std::string::npos &&
            ascii != ascii_lower(host)) {
            add(scheme + ascii + rest);
            if (port_dropped)
                add(scheme + ascii + rest.substr(port_end));
            host = ascii;
        }
    }

    std::string lower_host = ascii_lower(host);
    auto blank = [](char c) { return static_cast<unsigned char>(c) <= 0x20; };
    if (std::any_of(host.begin(), host.end(), blank)) {
        std::erase_if(host, blank);
        add(scheme + host + rest);
    }
    if (std::string target = redirect_target(rest); !target.empty())
        pending_.push_back(std::move(target));
    size_t user = host.find('@');
    if (user != std::string::npos && user > 0) {
        host.erase(0, user + 1);
        add(scheme + host + rest);
    }
    size_t end = host.size();
    while (end > 0 && !std::isalnum(static_cast<unsigned char>(host[end - 1])))
        --end;
    if (end < host.size()) {
        host.erase(end);
        add(scheme + host + rest);
    }
    std::string quad;
    if (numeric_shape(host, quad)) {
        if (!quad.empty())
            add(scheme + quad + rest);
        return;
    }
    // Firefox reads http://name as http://www.name.com.
    std::string_view name = lower_host;
    if (name.rfind("www.", 0) == 0)
        name.remove_prefix(4);
    if (http && auth_end == 0 && lower_host != "localhost" &&
        (port.empty() || port == "80") && !name.empty() &&
        name.find('.') == std::string_view::npos)
        add("http://www." + std::string(name) + ".com" + rest);
}

} // namespace

std::vector<std::string> spamassassin_forms(std::string_view written) {
    if (written.size() > max_form_link_bytes)
        return {std::string(written)};
    return FormMaker().make(written);
}

std::string registrable_domain(std::string_view host) {
    if (!numeric_host(host).empty())
        return std::string(host);
    std::vector<std::string_view> labels;
    size_t start = 0;
    for (size_t dot; (dot = host.find('.', start)) != std::string_view::npos;
         start = dot + 1)
        labels.push_back(host.substr(start, dot - start));
    labels.push_back(host.substr(start));
    if (labels.size() <= 2)
        return std::string(host);
    // Second-level labels under which registrations are made (co.uk).
    static const std::set<std::string_view> second_level = {
        "co", "com", "net", "org", "ac", "gov", "edu", "ne", "or", "go"};
    size_t keep = 2;
    if (labels[labels.size() - 1].size() == 2 &&
        second_level.count(labels[labels.size() - 2]))
        keep = 3;
    keep = std::min(keep, labels.size());
    std::string out;
    for (size_t i = labels.size() - keep; i < labels.size(); ++i) {
        if (!out.empty())
            out += '.';
        out += labels[i];
    }
    return out;
}

namespace {

// Another place wrote a link already found: its form is kept too, as
// uri rules read every form written.
void add_written(Uri& uri, std::string written) {
    if (uri.written.size() < max_written_forms &&
        std::find(uri.written.begin(), uri.written.end(), written) ==
            uri.written.end())
        uri.written.push_back(std::move(written));
}

} // namespace

std::vector<Uri> find_in_text(std::string_view text, size_t limit) {
    std::vector<Uri> out;
    std::map<std::string, size_t> seen;
    static const char* starts[] = {"http://",  "https://", "hxxp://",
                                   "hxxps://", "ftp://",   "www."};
    for (size_t pos = 0; pos < text.size() && out.size() < limit; ++pos) {
        if (!may_start_link(text, pos))
            continue;
        bool found = false;
        for (const char* start : starts)
            found = found || starts_with_ci(text.substr(pos), start);
        if (!found || (pos > 0 &&
                       std::isalnum(static_cast<unsigned char>(text[pos - 1]))))
            continue;
        size_t end = pos;
        while (end < text.size() &&
               is_url_char(static_cast<unsigned char>(text[end])))
            ++end;
        std::string_view written = text.substr(pos, end - pos);
        while (!written.empty() &&
               std::string_view(".,;:!?)]").find(written.back()) !=
                   std::string_view::npos)
            written.remove_suffix(1);
        Uri uri = normalize(written);
        if (!uri.url.empty()) {
            auto [at, added] = seen.try_emplace(uri.url, out.size());
            if (added)
                out.push_back(std::move(uri));
            else
                add_written(out[at->second], std::string(written));
        }
        pos = end;
    }
    return out;
}

bool shows_other_site(const Uri& uri) {
    if (!uri.from_html || uri.host.empty())
        return false;
    std::vector<Uri> shown = find_in_text(uri.shown_text);
    if (shown.empty()) {
        // Anchor text like "paypal.com" without a scheme.
        std::string t = text::squeeze_space(uri.shown_text);
        if (t.find(' ') != std::string::npos ||
            t.find('.') == std::string::npos)
            return false;
        Uri bare = normalize(t);
        if (bare.host.empty() || bare.host.find('.') == std::string::npos)
            return false;
        size_t tld = bare.host.rfind('.');
        if (bare.host.size() - tld - 1 < 2 ||
            !std::isalpha(static_cast<unsigned char>(bare.host.back())))
            return false;
        shown.push_back(bare);
    }
    std::string target = registrable_domain(uri.host);
    return std::any_of(shown.begin(), shown.end(), [&](const Uri& s) {
        return registrable_domain(s.host) != target;
    });
}

std::vector<Uri> collect(const text::MessageText& message, size_t limit) {
    std::vector<Uri> out;
    std::map<std::string, size_t> first_at; ///< each link's place in out
    std::vector<char> other_site;           ///< of each HTML link kept
    for (const text::Link& link : message.links) {
        if (out.size() >= limit)
            return out;
        // "spacer.gif" names a file beside the page, not a host, and a
        // mail has no page: a source is a link only with a scheme, or
        // "//" or "www." before its host.
        std::string href(trim_space(link.href));
        drop_tabs_and_line_ends(href);
        if (link.source && !has_scheme(href) && href.rfind("//", 0) != 0 &&
            href.rfind("\\\\", 0) != 0 && !starts_with_ci(href, "www."))
            continue;
        Uri uri = normalize(link.href, Hosts::labels_too);
        if (uri.url.empty())
            continue;
        uri.from_html = true;
        uri.shown_text = link.text;
        // One link written many times counts once against the limit;
        // its forms are kept, and an anchor text naming another site.
        // Whether the kept anchor names another site is known once, not
        // asked again for each of ten thousand repeats.
        auto [at, added] = first_at.try_emplace(uri.url, out.size());
        if (!added) {
            Uri& kept = out[at->second];
            for (std::string& written : uri.written)
                add_written(kept, std::move(written));
            if (!other_site[at->second] && shows_other_site(uri)) {
                kept.shown_text = std::move(uri.shown_text);
                other_site[at->second] = 1;
            }
            continue;
        }
        other_site.push_back(shows_other_site(uri) ? 1 : 0);
        out.push_back(std::move(uri));
    }
    // A link of the text that was an anchor too counts once: the text is
    // read for as many links as the limit, plus such repeats.
    size_t room = limit == SIZE_MAX ? limit : limit + first_at.size();
    for (Uri& uri : find_in_text(message.raw_body, room))
        if (out.size() < limit &&
            first_at.try_emplace(uri.url, out.size()).second)
            out.push_back(std::move(uri));
    return out;
}

} // namespace portcullis::uri
