// spam-score's allow and block lists: senders in the address forms
// policy-check shares (lib/mail/address_pattern), clients as IP networks
// (lib/core/ip_network). Each list is read once, where it is written.
#pragma once

#include "core/ip_network.hpp"
#include "mail/address_pattern.hpp"

#include <toml++/toml.h>

#include <map>
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

/// Lists read from the configuration, kept by the array they came from:
/// domain files and the main file stay loaded for the whole run.
class ListCache {
public:
    /// Returns true when the address is in one of the lists.
    bool sender_listed(const std::vector<const toml::array*>& lists,
                       std::string_view address);

    /// Returns true when the client address is in one of the lists.
    bool client_listed(const std::vector<const toml::array*>& lists,
                       std::string_view ip);

private:
    const std::vector<mail::AddressPattern>& senders(const toml::array* list);
    const std::vector<net::Network>& clients(const toml::array* list);

    std::map<const toml::array*, std::vector<mail::AddressPattern>> senders_;
    std::map<const toml::array*, std::vector<net::Network>> clients_;
};

} // namespace portcullis::spam_score
