// Finding and normalising links. The written form of a link in spam is
// chosen to slip past filters; each rule here undoes one such trick, and
// a link that needed undoing is marked obfuscated.
#include "mail/uri.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
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

Uri normalize(std::string_view written) {
    Uri uri;
    bool changed = false;
    std::string s = unmask(written, changed);
    uri.obfuscated = changed;

    std::string scheme = "http";
    size_t colon = s.find("://");
    if (colon != std::string::npos && colon < 10) {
        scheme = ascii_lower(s.substr(0, colon));
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
    if (host.empty() || host.find('.') == std::string::npos)
        return uri;
    uri.host = host;
    uri.url = scheme + "://" + host + rest;
    return uri;
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

std::vector<Uri> find_in_text(std::string_view text, size_t limit) {
    std::vector<Uri> out;
    std::set<std::string> seen;
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
        if (!uri.url.empty() && seen.insert(uri.url).second)
            out.push_back(std::move(uri));
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
    std::set<std::string> seen;
    for (const text::Link& link : message.links) {
        if (out.size() >= limit)
            return out;
        Uri uri = normalize(link.href);
        if (uri.url.empty())
            continue;
        uri.from_html = true;
        uri.shown_text = link.text;
        seen.insert(uri.url);
        out.push_back(std::move(uri));
    }
    // A link of the text that was an anchor too counts once: the text is
    // read for as many links as the limit, plus such repeats.
    size_t room = limit == SIZE_MAX ? limit : limit + seen.size();
    for (Uri& uri : find_in_text(message.raw_body, room))
        if (out.size() < limit && seen.insert(uri.url).second)
            out.push_back(std::move(uri));
    return out;
}

} // namespace portcullis::uri
