// RFC 5322 addresses: mailboxes and address lists with display names,
// quoted strings, comments, groups and obsolete routes. Anything that two
// readers could take two ways (a stray ")" or "[", CVE-2023-27043) is an
// invalid result, never a guess at the address a reader might see.
#pragma once

#include "core/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace portcullis::mail {

/// One mailbox: an optional display name and an addr-spec.
struct Mailbox {
    std::string display_name; ///< decoded from RFC 2047, may be empty
    std::string comment;      ///< the last comment seen, as old forms use
    std::string local_part;   ///< unquoted
    std::string domain;       ///< as written; domain literals keep "[]"
    std::string group;        ///< the group this mailbox was listed in

    /// Returns local@domain, quoting the local part when it needs it.
    std::string address() const;
};

/// Parses an address list (From, To, Cc, Reply-To); groups are flattened
/// into their mailboxes. An empty or all-blank list is valid and empty.
Result<std::vector<Mailbox>> parse_address_list(std::string_view text);

/// Parses exactly one mailbox, as a Sender field holds.
Result<Mailbox> parse_mailbox(std::string_view text);

/// Parses an RFC 5321 path as Return-Path holds it: "<>" is the null
/// path and yields an empty string.
Result<std::string> parse_path(std::string_view text);

/// Returns a domain as every tool compares it: lower case, without
/// trailing dots, an internationalised name as its IDNA A-label
/// ("BÜCHER.example" gives "xn--bcher-kva.example"); a name IDNA refuses
/// is only lower-cased.
std::string normal_domain(std::string_view domain);

/// Returns an address in its normal form: blanks and <> around it and a
/// source route ("@relay.org:" before it) removed, the local part
/// unquoted and keeping its case, the domain as normal_domain gives it.
std::string normal_address(std::string_view address);

/// Returns the key two addresses are compared by: normal_address with
/// the ASCII letters of the local part lower-cased; its other bytes are
/// compared exactly.
std::string address_key(std::string_view address);

/// Returns true when two addresses name one mailbox (equal address_key).
bool same_address(std::string_view a, std::string_view b);

/// Returns the domain of an address as normal_domain gives it; empty
/// without "@".
std::string domain_of(std::string_view address);

/// Returns true when a display name holds an address whose domain is
/// neither the mailbox's domain nor a parent of it, as in
/// `"payroll@example.com" <someone@example.net>`.
bool display_name_spoof(std::string_view display, std::string_view address);

} // namespace portcullis::mail
