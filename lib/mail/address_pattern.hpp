// Entries of sender lists and address conditions, in the forms that
// share/doc/policy.md lists: an address, a domain alone, or a domain
// and its subdomains. spam-score's lists, policy-check's conditions and
// wiretap's watch lists are read here, so an entry means the same in
// each.
#pragma once

#include "core/result.hpp"

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

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

/// An address in the normal form patterns compare: read once, so a list
/// of any length costs one normalisation per address, not one per entry.
struct AddressKey {
    std::string key;    ///< mail::address_key
    std::string domain; ///< mail::domain_of, empty without "@"

    /// Returns the key of an address as written.
    static AddressKey of(std::string_view address);
};

/// Parses one entry; any other form (blanks, "*" but in "*.", an empty
/// local part or domain label) is an Error saying which forms there are.
Result<AddressPattern> parse_address_pattern(std::string_view text);

/// Patterns indexed by their normal form: an address is found by a few
/// hash lookups (itself, its domain, each parent domain), however many
/// entries the list holds.
class AddressIndex {
public:
    /// Adds a pattern after those added before.
    void add(AddressPattern pattern);

    /// Returns the first pattern added that matches the address, or
    /// nullptr; an empty address matches nothing.
    const AddressPattern* find(const AddressKey& address) const;

    /// Returns true when a pattern matches the address.
    bool matches(const AddressKey& address) const {
        return find(address) != nullptr;
    }

    /// Returns how many patterns were added.
    size_t size() const { return patterns_.size(); }
    bool empty() const { return patterns_.empty(); }

    /// Returns the patterns in the order they were added.
    const AddressPattern& operator[](size_t i) const { return patterns_[i]; }
    auto begin() const { return patterns_.begin(); }
    auto end() const { return patterns_.end(); }

private:
    using Positions = std::unordered_map<std::string, size_t>;

    std::vector<AddressPattern> patterns_;
    Positions exact_;      ///< address key: first position
    Positions domains_;    ///< domain: first position
    Positions subdomains_; ///< parent domain: first position
};

} // namespace portcullis::mail
