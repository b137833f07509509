// Reading and matching allow and block lists. An entry that is no known
// form is reported where the list is checked (an error at system level,
// logged in a domain file) and matches nothing here.
#include "spam_score_lists.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace portcullis::spam_score {

namespace {

std::string where(const toml::node& node) {
    const auto& path = node.source().path;
    return fmt::format("{}:{}", path && !path->empty() ? *path : "-",
                       node.source().begin.line);
}

template <class Parse>
void check_entries(const toml::table& table, const char* key, Parse parse,
                   std::vector<std::pair<size_t, std::string>>& out) {
    const toml::array* list = table[key].as_array();
    if (!list)
        return;
    for (const toml::node& entry : *list) {
        auto text = entry.value<std::string>();
        if (!text)
            continue;
        auto parsed = parse(*text);
        if (!parsed)
            out.emplace_back(entry.source().begin.line,
                             fmt::format("{}: {}: {}", where(entry), key,
                                         parsed.error().message));
    }
}

mail::AddressIndex read_senders(const toml::array& list) {
    mail::AddressIndex out;
    for (const toml::node& entry : list) {
        auto text = entry.value<std::string>();
        if (!text)
            continue;
        if (auto parsed = mail::parse_address_pattern(*text))
            out.add(std::move(*parsed));
    }
    return out;
}

net::NetworkSet read_clients(const toml::array& list) {
    std::vector<net::Network> out;
    for (const toml::node& entry : list) {
        auto text = entry.value<std::string>();
        if (!text)
            continue;
        if (auto parsed = net::parse_network(*text))
            out.push_back(*parsed);
    }
    return net::NetworkSet(out);
}

} // namespace

std::vector<std::pair<size_t, std::string>>
list_problems(const toml::table& table) {
    std::vector<std::pair<size_t, std::string>> out;
    for (const char* key : sender_list_keys)
        check_entries(table, key, mail::parse_address_pattern, out);
    for (const char* key : client_list_keys)
        check_entries(table, key, net::parse_network, out);
    return out;
}

ListCache::ListCache(const toml::table& system) {
    for (const char* key : sender_list_keys)
        if (const toml::array* list = system[key].as_array())
            system_senders_.emplace(list, read_senders(*list));
    for (const char* key : client_list_keys)
        if (const toml::array* list = system[key].as_array())
            system_clients_.emplace(list, read_clients(*list));
}

void ListCache::forget_lower() {
    senders_.clear();
    clients_.clear();
}

const mail::AddressIndex& ListCache::senders(const toml::array* list) {
    if (auto system = system_senders_.find(list);
        system != system_senders_.end())
        return system->second;
    auto found = senders_.find(list);
    if (found == senders_.end())
        found = senders_.emplace(list, read_senders(*list)).first;
    return found->second;
}

const net::NetworkSet& ListCache::clients(const toml::array* list) {
    if (auto system = system_clients_.find(list);
        system != system_clients_.end())
        return system->second;
    auto found = clients_.find(list);
    if (found == clients_.end())
        found = clients_.emplace(list, read_clients(*list)).first;
    return found->second;
}

bool ListCache::sender_listed(const std::vector<const toml::array*>& lists,
                              const mail::AddressKey& address) {
    return std::any_of(lists.begin(), lists.end(), [&](const auto* list) {
        return senders(list).matches(address);
    });
}

bool ListCache::client_listed(const std::vector<const toml::array*>& lists,
                              const std::optional<net::Address>& client) {
    if (!client)
        return false;
    return std::any_of(lists.begin(), lists.end(), [&](const auto* list) {
        return clients(list).contains(*client);
    });
}

} // namespace portcullis::spam_score
