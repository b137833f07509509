// Parsing and matching address patterns. An entry is read once into its
// normal form, so matching is a comparison, and a typo that could never
// match (a blank, a "*" in the middle) is refused when it is read.
#include "mail/address_pattern.hpp"

#include "core/strings.hpp"
#include "mail/address.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace portcullis::mail {

namespace {

// What DNS names hold, as mail::parse_address_list accepts for domains;
// UTF-8 beyond ASCII for internationalised names.
bool is_domain_char(unsigned char c) {
    return c >= 0x80 || std::isalnum(c) || c == '-' || c == '_';
}

bool is_domain(std::string_view domain) {
    if (domain.empty() || domain.front() == '.' || domain.back() == '.' ||
        domain.find("..") != std::string_view::npos)
        return false;
    return std::all_of(domain.begin(), domain.end(), [](unsigned char c) {
        return c == '.' || is_domain_char(c);
    });
}

// A local part as normal_address leaves it: unquoted, so anything but
// blanks, controls, brackets and the "*" nobody means literally.
bool is_local_part(std::string_view local) {
    return !local.empty() &&
           std::none_of(local.begin(), local.end(), [](unsigned char c) {
               return c <= 0x20 || c == 0x7f || c == '<' || c == '>' ||
                      c == ',' || c == '*';
           });
}

bool host_in(std::string_view domain, std::string_view parent) {
    if (domain == parent)
        return true;
    return domain.size() > parent.size() && domain.ends_with(parent) &&
           domain[domain.size() - parent.size() - 1] == '.';
}

Error not_a_pattern(std::string_view text) {
    return Error{"",
                 fmt::format("\"{}\" is not an address, domain, @domain or "
                             "*.domain",
                             text),
                 ExitCode::config};
}

} // namespace

Result<AddressPattern> parse_address_pattern(std::string_view text) {
    AddressPattern out;
    out.written = std::string(text);
    std::string entry = ascii_lower(text);
    if (entry.starts_with("*.") || entry.starts_with(".")) {
        out.kind = AddressPattern::subdomains;
        entry.erase(0, entry[0] == '*' ? 2 : 1);
    } else if (entry.starts_with("@")) {
        out.kind = AddressPattern::domain;
        entry.erase(0, 1);
    } else if (entry.find('@') == std::string::npos) {
        out.kind = AddressPattern::domain;
    }
    // "example.com." is example.com, as in addresses.
    while (out.kind != AddressPattern::exact && entry.ends_with('.'))
        entry.pop_back();
    if (out.kind != AddressPattern::exact) {
        // "bücher.example" is kept as "xn--bcher-kva.example", the form
        // domain_of() gives every address.
        std::string domain = normal_domain(entry);
        if (!is_domain(domain))
            return not_a_pattern(text);
        out.text = std::move(domain);
        return out;
    }
    std::string normal = address_key(entry);
    size_t at = normal.rfind('@');
    if (at == std::string::npos ||
        !is_local_part(std::string_view(normal).substr(0, at)) ||
        !is_domain(std::string_view(normal).substr(at + 1)))
        return not_a_pattern(text);
    out.text = std::move(normal);
    return out;
}

// One normal form for every address list and condition: "<bob@x.com>",
// "\"bob\"@x.com", "bob@x.com." and "BOB@X.COM" all name bob@x.com, and
// "bücher.example" is "xn--bcher-kva.example".
AddressKey AddressKey::of(std::string_view address) {
    return AddressKey{address_key(address), domain_of(address)};
}

bool AddressPattern::matches(std::string_view address) const {
    switch (kind) {
    case exact:
        return address_key(address) == text;
    case domain:
        return domain_of(address) == text;
    case subdomains:
        return host_in(domain_of(address), text);
    }
    return false;
}

void AddressIndex::add(AddressPattern pattern) {
    Positions& positions = pattern.kind == AddressPattern::exact ? exact_
                           : pattern.kind == AddressPattern::domain
                               ? domains_
                               : subdomains_;
    positions.emplace(pattern.text, patterns_.size());
    patterns_.push_back(std::move(pattern));
}

// Each form is one lookup but *.domain, which is one per label of the
// address's domain: x.y.example is looked up as itself, y.example and
// example. Of several matching entries the first written is named.
const AddressPattern* AddressIndex::find(const AddressKey& address) const {
    if (address.key.empty())
        return nullptr;
    size_t best = patterns_.size();
    auto consider = [&](const Positions& positions, const std::string& key) {
        auto found = positions.find(key);
        if (found != positions.end())
            best = std::min(best, found->second);
    };
    consider(exact_, address.key);
    consider(domains_, address.domain);
    std::string_view parent = address.domain;
    while (!parent.empty()) {
        consider(subdomains_, std::string(parent));
        size_t dot = parent.find('.');
        parent.remove_prefix(dot == std::string_view::npos ? parent.size()
                                                           : dot + 1);
    }
    return best < patterns_.size() ? &patterns_[best] : nullptr;
}

} // namespace portcullis::mail
