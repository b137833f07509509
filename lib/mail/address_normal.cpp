// The one form in which every tool compares addresses: a list entry, a
// rule, a watch or a user table names the same mailbox as an envelope
// however either was written ("bob"@, <bob@...>, a root-form domain, an
// internationalised domain as U-label or A-label, upper case).
#include "mail/address.hpp"

#include "core/strings.hpp"

#include <idn2.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <optional>

namespace portcullis::mail {

namespace {

// One At-domain of a source route: "@" and a name or an IPv4 literal.
bool is_route_hop(std::string_view hop) {
    if (hop.size() < 2 || hop.front() != '@')
        return false;
    return std::all_of(hop.begin() + 1, hop.end(), [](unsigned char c) {
        return c >= 0x80 || std::isalnum(c) || c == '-' || c == '.' ||
               c == '_' || c == '[' || c == ']';
    });
}

// RFC 5321 section 4.1.2: a path may start with a source route,
// "@relay1,@relay2:", which names relays and not the mailbox and is to
// be ignored (appendix C). <@relay.org:bob@example.com> is bob's path.
std::string_view without_route(std::string_view address) {
    size_t colon = address.find(':');
    if (!address.starts_with('@') || colon == std::string_view::npos)
        return address;
    std::string_view route = address.substr(0, colon);
    for (size_t start = 0; start <= route.size();) {
        size_t comma = std::min(route.find(',', start), route.size());
        if (!is_route_hop(route.substr(start, comma - start)))
            return address;
        start = comma + 1;
    }
    return trim_blanks(address.substr(colon + 1));
}

// Envelopes and lists write an address bare or as a path, "<a@b>".
std::string_view bare_address(std::string_view address) {
    address = trim_blanks(address);
    if (address.size() >= 2 && address.front() == '<' && address.back() == '>')
        address = trim_blanks(address.substr(1, address.size() - 2));
    return without_route(address);
}

// "bob"@example.com is the same mailbox as bob@example.com.
std::string unquote_local_part(std::string_view local) {
    if (local.size() < 2 || local.front() != '"' || local.back() != '"')
        return std::string(local);
    std::string out;
    for (size_t i = 1; i + 1 < local.size(); ++i) {
        if (local[i] == '\\' && i + 2 < local.size())
            ++i;
        out += local[i];
    }
    return out;
}

bool is_ascii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x80;
    });
}

// IDNA 2008 with the UTS #46 mapping, as browsers and resolvers apply it:
// "BÜCHER.example", "bücher.example" (either Unicode normal form) and
// full-width letters all give one A-label. Nullopt when IDNA refuses
// the name (bad UTF-8, a symbol no domain may hold).
std::optional<std::string> idna_a_label(const std::string& domain) {
    if (domain.find('\0') != std::string::npos)
        return std::nullopt;
    char* converted = nullptr;
    int status = idn2_to_ascii_8z(domain.c_str(), &converted,
                                  IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    std::unique_ptr<char, decltype(&std::free)> owned(converted, &std::free);
    if (status != IDN2_OK || !converted)
        return std::nullopt;
    return ascii_lower(converted);
}

// A name IDNA refuses as a whole is converted label by label, a refused
// label kept lower-cased as written: "-x-.münchen.example" stays under
// xn--mnchen-3ya.example, so a rule for that domain's subdomains holds.
std::string a_label(std::string_view domain) {
    if (auto whole = idna_a_label(std::string(domain)))
        return *whole;
    std::string out;
    for (size_t start = 0; start <= domain.size();) {
        size_t dot = std::min(domain.find('.', start), domain.size());
        std::string label(domain.substr(start, dot - start));
        auto converted = is_ascii(label) ? std::nullopt : idna_a_label(label);
        out += converted ? *converted : ascii_lower(label);
        if (dot < domain.size())
            out += '.';
        start = dot + 1;
    }
    return out;
}

} // namespace

std::string normal_domain(std::string_view domain) {
    // "example.com." is the same domain as "example.com" in DNS.
    while (!domain.empty() && domain.back() == '.')
        domain.remove_suffix(1);
    // An ASCII name needs no IDNA, whose rules would refuse names mail
    // still carries ("a_b.example", "-x.example").
    if (is_ascii(domain))
        return ascii_lower(domain);
    std::string out = a_label(domain);
    while (!out.empty() && out.back() == '.')
        out.pop_back();
    return out;
}

std::string normal_address(std::string_view address) {
    address = bare_address(address);
    size_t at = address.rfind('@');
    if (at == std::string_view::npos)
        return std::string(address);
    return unquote_local_part(address.substr(0, at)) + "@" +
           normal_domain(address.substr(at + 1));
}

std::string address_key(std::string_view address) {
    address = bare_address(address);
    size_t at = address.rfind('@');
    if (at == std::string_view::npos)
        return ascii_lower(address);
    return ascii_lower(unquote_local_part(address.substr(0, at))) + "@" +
           normal_domain(address.substr(at + 1));
}

bool same_address(std::string_view a, std::string_view b) {
    return address_key(a) == address_key(b);
}

std::string domain_of(std::string_view address) {
    address = bare_address(address);
    size_t at = address.rfind('@');
    if (at == std::string_view::npos)
        return "";
    return normal_domain(address.substr(at + 1));
}

} // namespace portcullis::mail
