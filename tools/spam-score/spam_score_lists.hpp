// spam-score's allow and block lists: senders in the address forms
// policy-check shares (lib/mail/address_pattern), clients as IP networks
// (lib/core/ip_network). Each list is read and indexed once, where it is
// written, so a sender is looked up, never compared entry by entry.
#pragma once

#include "core/ip_network.hpp"
#include "mail/address_pattern.hpp"

#include <toml++/toml.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portcullis::spam_score {

/// The keys that hold sender lists and client lists.
inline constexpr const char* sender_list_keys[] = {"block_senders",
                                                   "allow_senders"};
inline constexpr const char* client_list_keys[] = {"block_clients",
                                                   "allow_clients"};

/// Returns the line and "file:line: KEY: why" of each list entry of table
/// that is no sender or client form; entries that are not strings are
/// type_problems' to report.
std::vector<std::pair<size_t, std::string>>
list_problems(const toml::table& table);

/// The senders of one message as lists compare them, read once.
struct Senders {
    /// Every mailbox of every From header.
    std::vector<mail::AddressKey> from;
    bool one_from_header = false; ///< exactly one From header
    /// The envelope sender; an empty key for the null sender <> or when
    /// a plain file gave no guess.
    mail::AddressKey envelope;
    bool envelope_guessed = false; ///< from Return-Path or From
};

/// Lists read from the configuration, kept by the array they came from.
/// The system level's are read when the cache is made and kept for the
/// run; those of domain files until the files change.
class ListCache {
public:
    /// Reads the lists of the system level's table.
    explicit ListCache(const toml::table& system);

    /// Returns true when the address is in one of the lists.
    bool sender_listed(const std::vector<const toml::array*>& lists,
                       const mail::AddressKey& address);

    /// Returns true when the client is in one of the lists.
    bool client_listed(const std::vector<const toml::array*>& lists,
                       const std::optional<net::Address>& client);

    /// Lets go of every list read from a domain file: the arrays they
    /// were kept by are gone once a domain file is read again.
    void forget_lower();

private:
    const mail::AddressIndex& senders(const toml::array* list);
    const net::NetworkSet& clients(const toml::array* list);

    std::map<const toml::array*, mail::AddressIndex> system_senders_;
    std::map<const toml::array*, net::NetworkSet> system_clients_;
    std::map<const toml::array*, mail::AddressIndex> senders_;
    std::map<const toml::array*, net::NetworkSet> clients_;
};

} // namespace portcullis::spam_score
