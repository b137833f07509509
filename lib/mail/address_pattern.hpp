// Entries of sender lists and address conditions, in the forms that
// share/doc/policy.md lists: an address, a domain alone, or a domain
// and its subdomains. spam-score's lists, policy-check's conditions and
// wiretap's watch lists are read here, so an entry means the same in
// each.
#pragma once

#include "core/result.hpp"

#include <string>
#include <string_view>

namespace portcullis::mail {

/// An address ("bob@example.com"), a domain alone ("example.com",
/// "@example.com") or a domain and its subdomains ("*.example.com",
/// ".example.com").
struct AddressPattern {
    std::string text; ///< normal form, lower case, no "*.", "." or "@"
    enum Kind { exact, domain, subdomains } kind = exact;
    std::string written; ///< as the configuration writes it, for reasons

    /// Returns true when the address, in its normal form
    /// (mail::address_key, mail::domain_of), matches.
    bool matches(std::string_view address) const;
};

/// Parses one entry; any other form (blanks, "*" but in "*.", an empty
/// local part or domain label) is an Error saying which forms there are.
Result<AddressPattern> parse_address_pattern(std::string_view text);

} // namespace portcullis::mail
