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

template <class T, class Parse>
std::vector<T> read_list(const toml::array* list, Parse parse) {
    std::vector<T> out;
    for (const toml::node& entry : *list) {
        auto text = entry.value<std::string>();
        if (!text)
            continue;
        auto parsed = parse(*text);
        if (parsed)
            out.push_back(std::move(*parsed));
    }
    return out;
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

const std::vector<mail::AddressPattern>&
ListCache::senders(const toml::array* list) {
    auto found = senders_.find(list);
    if (found == senders_.end())
        found = senders_
                    .emplace(list, read_list<mail::AddressPattern>(
                                       list, mail::parse_address_pattern))
                    .first;
    return found->second;
}

const std::vector<net::Network>& ListCache::clients(const toml::array* list) {
    auto found = clients_.find(list);
    if (found == clients_.end())
        found = clients_
                    .emplace(list,
                             read_list<net::Network>(list, net::parse_network))
                    .first;
    return found->second;
}

bool ListCache::sender_listed(const std::vector<const toml::array*>& lists,
                              std::string_view address) {
    if (address.empty())
        return false;
    return std::any_of(lists.begin(), lists.end(), [&](const auto* list) {
        const auto& patterns = senders(list);
        return std::any_of(
            patterns.begin(), patterns.end(),
            [&](const auto& pattern) { return pattern.matches(address); });
    });
}

bool ListCache::client_listed(const std::vector<const toml::array*>& lists,
                              std::string_view ip) {
    auto address = net::parse_address(ip);
    if (!address)
        return false;
    return std::any_of(lists.begin(), lists.end(), [&](const auto* list) {
        const auto& networks = clients(list);
        return std::any_of(
            networks.begin(), networks.end(),
            [&](const auto& network) { return network.contains(*address); });
    });
}

} // namespace portcullis::spam_score
