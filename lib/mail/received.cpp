#include "mail/received.hpp"
#include "core/ip_network.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace portcullis::received {

namespace {

bool is_space(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// An address as a Received field writes it: "192.0.2.7", "[192.0.2.7]",
// "IPv6:2001:db8::1", possibly with a ":port" after an IPv4 address.
std::optional<std::string> address_in(std::string_view text) {
    text = trim_space(text);
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
        text = text.substr(1, text.size() - 2);
    if (text.size() > 5 && ascii_lower(text.substr(0, 5)) == "ipv6:")
        text.remove_prefix(5);
    if (net::parse_address(text))
        return std::string(text);
    size_t colon = text.rfind(':');
    if (colon != std::string_view::npos &&
        text.find(':') == colon) { // IPv4 with a port
        std::string_view host = text.substr(0, colon);
        if (auto a = net::parse_address(host); a && a->size == 4)
            return std::string(host);
    }
    return std::nullopt;
}

// The word after "helo=" or "HELO " inside a comment, if any.
std::string helo_in(std::string_view comment) {
    std::string lower = ascii_lower(comment);
    for (std::string_view key : {"helo=", "helo "}) {
        size_t at = lower.find(key);
        if (at == std::string::npos)
            continue;
        std::string_view rest = comment.substr(at + key.size());
        size_t end = rest.find_first_of(" \t\r\n)");
        return std::string(rest.substr(0, end));
    }
    return {};
}

} // namespace

size_t clause_at(std::string_view value, std::string_view keyword) {
    for (size_t pos = value.find(keyword); pos != std::string_view::npos;
         pos = value.find(keyword, pos + 1)) {
        size_t end = pos + keyword.size();
        if (pos > 0 && end < value.size() && is_space(value[pos - 1]) &&
            is_space(value[end]))
            return pos;
    }
    return std::string_view::npos;
}

namespace {

// The part of a Received field the receiving server wrote about itself,
// in lower case: from its "by" clause up to "for" or the date. The
// "from" clause and the "for" address are the client's to choose.
std::string receiver_part(std::string_view value) {
    size_t by = clause_at(value, "by");
    if (by == std::string_view::npos)
        return {};
    std::string_view rest = value.substr(by);
    rest = rest.substr(0, std::min(clause_at(rest, "for"), rest.rfind(';')));
    return ascii_lower(rest);
}

} // namespace

std::optional<Relay> sending_relay(std::string_view value) {
    value = trim_space(value);
    if (value.size() < 5 || ascii_lower(value.substr(0, 5)) != "from ")
        return std::nullopt;
    std::string_view clause =
        trim_space(value.substr(5, clause_at(value, "by") - 5));
    // The relay's own name for itself (or the receiver's, see below)
    // comes first, one word: a HELO name is the client's to choose, so
    // brackets or parentheses in it are part of it, never comments.
    // The comments the receiver wrote follow it.
    size_t named_end = 0;
    while (named_end < clause.size() && !is_space(clause[named_end]))
        ++named_end;
    std::string_view named = clause.substr(0, named_end);
    size_t first_comment = clause.find('(', named_end);
    std::string ip;        // the address, in any comment
    std::string_view seen; // the name written before "[ip]"
    std::string helo;      // "helo=name" or "HELO name"
    bool bare_address = false;
    size_t pos = first_comment;
    while (pos < clause.size()) {
        // Comments nest: "(rdns [ip] (may be forged))".
        int depth = 0;
        size_t close = pos;
        for (; close < clause.size(); ++close) {
            if (clause[close] == '(')
                ++depth;
            else if (clause[close] == ')' && --depth == 0)
                break;
        }
        std::string_view comment = clause.substr(pos + 1, close - pos - 1);
        pos = clause.find('(', close);
        if (helo.empty())
            helo = helo_in(comment);
        if (!ip.empty())
            continue;
        size_t bracket = comment.find('[');
        if (bracket != std::string_view::npos) {
            size_t end = comment.find(']', bracket);
            if (end == std::string_view::npos)
                continue;
            if (auto a = address_in(
                    comment.substr(bracket + 1, end - bracket - 1))) {
                ip = *a;
                seen = trim_space(comment.substr(0, bracket));
                size_t at = seen.rfind('@');
                if (at != std::string_view::npos)
                    seen.remove_prefix(at + 1);
            }
        } else if (auto a = address_in(comment)) {
            ip = *a;
            bare_address = true;
        }
    }
    if (ip.empty()) {
        if (auto a = address_in(named)) // Exim: "from [ip] (helo=name)"
            return Relay{*a, {}, helo};
        return std::nullopt;
    }
    auto known = [](std::string_view name) {
        return name.empty() || ascii_lower(name) == "unknown" ||
                       address_in(name)
                   ? std::string()
                   : std::string(name);
    };
    // qmail ("rdns (HELO name) (ip)") and Exim ("rdns ([ip] helo=name)")
    // put the looked-up name first and the HELO name in a comment;
    // Sendmail, Postfix and Exchange put the HELO name first and the
    // looked-up name before the address: "name (rdns [ip])".
    bool exim = receiver_part(value).find("(exim") != std::string::npos;
    if (bare_address || !helo.empty() || (exim && seen.empty())) {
        Relay relay{ip, known(named), helo};
        if (relay.helo.empty())
            relay.helo = std::string(named);
        return relay;
    }
    return Relay{ip, known(seen), std::string(named)};
}

bool inside_hop(std::string_view value) {
    // A fetch from a mailbox says so in the receiver's own words:
    // "by localhost with POP3 (fetchmail-6.4)".
    std::string receiver = receiver_part(value);
    size_t with = clause_at(receiver, "with");
    if (with != std::string::npos) {
        std::string_view protocol = std::string_view(receiver).substr(with + 5);
        if (protocol.starts_with("pop") || protocol.starts_with("imap"))
            return true;
    }
    auto relay = sending_relay(value);
    if (!relay)
        return true;
    static const std::array<net::Network, 6> inside = [] {
        std::array<net::Network, 6> networks{};
        const char* text[] = {"127.0.0.0/8",    "10.0.0.0/8", "172.16.0.0/12",
                              "192.168.0.0/16", "::1",        "fc00::/7"};
        for (size_t i = 0; i < networks.size(); ++i)
            networks[i] = *net::parse_network(text[i]);
        return networks;
    }();
    auto address = net::parse_address(relay->ip);
    for (const net::Network& network : inside)
        if (network.contains(*address))
            return true;
    return false;
}

std::optional<Relay> handover(const mime::Tree& tree) {
    for (const mime::Header& header : tree.headers) {
        if (ascii_lower(header.name) != "received" || inside_hop(header.value))
            continue;
        return sending_relay(header.value);
    }
    return std::nullopt;
}

bool dynamic_name(std::string_view name, std::string_view ip) {
    if (address_in(name)) // an address is no name at all
        return false;
    std::string lower = ascii_lower(name);
    // The address's last two numbers, in either order, with any mark
    // between them: "...-211-91.", "91.211.", "211x91".
    auto a = net::parse_address(ip);
    if (a && a->size == 4) {
        std::string c = std::to_string(a->bytes[2]);
        std::string d = std::to_string(a->bytes[3]);
        auto holds = [&](const std::string& x, const std::string& y) {
            for (size_t at = lower.find(x); at != std::string::npos;
                 at = lower.find(x, at + 1)) {
                size_t after = at + x.size();
                bool left =
                    at == 0 ||
                    !std::isdigit(static_cast<unsigned char>(lower[at - 1]));
                if (left && after + 1 + y.size() <= lower.size() &&
                    !std::isalnum(static_cast<unsigned char>(lower[after])) &&
                    lower.compare(after + 1, y.size(), y) == 0 &&
                    (after + 1 + y.size() == lower.size() ||
                     !std::isdigit(static_cast<unsigned char>(
                         lower[after + 1 + y.size()]))))
                    return true;
            }
            return false;
        };
        if (holds(c, d) || holds(d, c))
            return true;
    }
    // Words providers give home lines, each a whole run of letters of
    // the name ("ppp12", "adsl-17", "dialup."), never part of a longer
    // word ("liverpool", "dialogue"), and never in the last two labels,
    // which name the provider ("pool.example", "dynamics.example").
    static const std::array<std::string_view, 20> words = {
        "dsl",   "adsl",  "xdsl",    "vdsl",  "dial",      "dialup", "dialin",
        "dhcp",  "dyn",   "dynamic", "dynip", "ppp",       "pppoe",  "pool",
        "cable", "modem", "cpe",     "catv",  "broadband", "resnet"};
    size_t last_dot = lower.rfind('.');
    size_t domain_start = last_dot == std::string::npos || last_dot == 0
                              ? 0
                              : lower.rfind('.', last_dot - 1);
    domain_start = domain_start == std::string::npos ? 0 : domain_start;
    size_t pos = 0;
    while (pos < domain_start) {
        while (pos < lower.size() &&
               !std::isalpha(static_cast<unsigned char>(lower[pos])))
            ++pos;
        size_t start = pos;
        while (pos < lower.size() &&
               std::isalpha(static_cast<unsigned char>(lower[pos])))
            ++pos;
        if (start >= domain_start)
            break;
        std::string_view run =
            std::string_view(lower).substr(start, pos - start);
        if (std::find(words.begin(), words.end(), run) != words.end())
            return true;
    }
    return false;
}

} // namespace portcullis::received
