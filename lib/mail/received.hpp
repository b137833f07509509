// Received fields read as relays, from the top down, as the receiving
// site sees them: its own hops first, then the hop that handed the
// message in, then the sender's path.
#pragma once

#include "mail/mime.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace portcullis::received {

/// The sending side of one hop, as its "from" clause names it.
struct Relay {
    std::string ip;   ///< the address the receiver saw; empty if none
    std::string rdns; ///< the name its address resolved to; empty if none
    std::string helo; ///< the name it gave in HELO or EHLO
};

/// Where a clause of a Received field starts: its keyword ("by", "for")
/// with white space on both sides, as the field may be folded there;
/// npos when the field has none.
size_t clause_at(std::string_view value, std::string_view keyword);

/// Reads the sending relay of a Received field, as Sendmail, Postfix,
/// Exim, qmail and Exchange write it; nullopt when the field names no
/// relay address.
std::optional<Relay> sending_relay(std::string_view value);

/// Returns true for a hop inside the receiving site: its sending relay
/// has a loopback or private address or none, or it fetched the mail
/// from a mailbox (POP, IMAP).
bool inside_hop(std::string_view value);

/// The relay that handed the message to the site: the sending relay of
/// the first hop from the top that is not inside it; nullopt when every
/// hop is.
std::optional<Relay> handover(const mime::Tree& tree);

/// Returns true when a host name looks like one given to a dynamic or
/// residential address: it holds the address's own numbers, or a word
/// such as "dsl", "dialup", "dhcp", "ppp", "pool" or "cable".
bool dynamic_name(std::string_view name, std::string_view ip);

} // namespace portcullis::received
