// Parsing and matching IP networks. Text is compared as bytes, never as
// text: "2001:db8:0:0::1" and "2001:db8::1" are one address, and
// "192.0.2.1" must not match "192.0.2.10".
#include "core/ip_network.hpp"

#include "core/strings.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <fmt/format.h>
#include <string>

namespace portcullis::net {

namespace {

constexpr uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0,    0,
                                       0, 0, 0, 0, 0xff, 0xff};

bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return c >= '0' && c <= '9';
    });
}

// "192.0.2." is 192.0.2.0/24 and "10." is 10.0.0.0/8: whole octets only.
std::optional<Network> ipv4_prefix(std::string_view text) {
    if (text.empty() || text.back() != '.')
        return std::nullopt;
    size_t octets =
        static_cast<size_t>(std::count(text.begin(), text.end(), '.'));
    if (octets > 3)
        return std::nullopt;
    std::string whole(text);
    for (size_t i = octets; i < 4; ++i)
        whole += i + 1 < 4 ? "0." : "0";
    auto address = parse_address(whole);
    if (!address || address->size != 4)
        return std::nullopt;
    return Network{*address, static_cast<int>(octets * 8)};
}

// The groups written before the final "::" of "2001:db8:bad::": 3.
long groups_before_gap(std::string_view ip) {
    std::string_view head = ip.substr(0, ip.size() - 2);
    return head.empty() ? 0 : std::count(head.begin(), head.end(), ':') + 1;
}

// An address as IPv6 bytes: an IPv4 address is the IPv4-mapped address
// ::ffff:a.b.c.d (RFC 4291 section 2.5.5.2). Only a network within the
// mapped range (a prefix of 96 bits or more) holds IPv4 clients: `::/0`
// is every IPv6 client, as a firewall or Postfix reads it, and one
// written for IPv6 must not catch the other family's mail as well.
constexpr int mapped_prefix_bits = 96;

std::array<uint8_t, 16> ipv6_bytes(const Address& address) {
    if (address.size == 16)
        return address.bytes;
    std::array<uint8_t, 16> out{};
    std::copy(std::begin(mapped_prefix), std::end(mapped_prefix), out.begin());
    std::copy(address.bytes.begin(), address.bytes.begin() + 4,
              out.begin() + 12);
    return out;
}

// A network's prefix length counted in IPv6 bits.
int ipv6_prefix_bits(const Network& network) {
    return network.address.size == 16 ? network.prefix_bits
                                      : network.prefix_bits + 96;
}

// The first address of the network of IPv6 bytes with prefix_bits
// leading bits: the bits after them cleared.
std::array<uint8_t, 16> network_start(const std::array<uint8_t, 16>& bytes,
                                      int prefix_bits) {
    std::array<uint8_t, 16> out{};
    int bits = prefix_bits;
    for (size_t i = 0; i < bytes.size() && bits > 0; ++i, bits -= 8)
        out[i] = static_cast<uint8_t>(
            bytes[i] & (bits >= 8 ? 0xff : (0xff << (8 - bits))));
    return out;
}

std::string not_a_network(std::string_view text) {
    return fmt::format("\"{}\" is not an IP address or network "
                       "(192.0.2.0/24, 2001:db8::/32)",
                       text);
}

} // namespace

std::optional<Address> parse_address(std::string_view text) {
    std::string copy(text);
    Address out;
    if (::inet_pton(AF_INET, copy.c_str(), out.bytes.data()) == 1) {
        out.size = 4;
        return out;
    }
    if (::inet_pton(AF_INET6, copy.c_str(), out.bytes.data()) != 1)
        return std::nullopt;
    out.size = 16;
    if (std::equal(std::begin(mapped_prefix), std::end(mapped_prefix),
                   out.bytes.begin())) {
        std::copy(out.bytes.begin() + 12, out.bytes.end(), out.bytes.begin());
        std::fill(out.bytes.begin() + 4, out.bytes.end(), 0);
        out.size = 4;
    }
    return out;
}

std::optional<Address> parse_client_address(std::string_view text) {
    if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
        text = text.substr(1, text.size() - 2);
        // RFC 5321 section 4.1.3 tags an IPv6 literal; the tag is
        // case-insensitive, like every SMTP keyword.
        if (ascii_lower(text.substr(0, 5)) == "ipv6:")
            text.remove_prefix(5);
    }
    // RFC 4007 section 11: "fe80::1%eth0" is fe80::1 on one link.
    size_t zone = text.find('%');
    if (zone != std::string_view::npos) {
        auto address = parse_address(text.substr(0, zone));
        if (!address || address->size != 16 || zone + 1 == text.size())
            return std::nullopt;
        return address;
    }
    return parse_address(text);
}

std::string to_string(const Address& address) {
    char text[INET6_ADDRSTRLEN] = {};
    int family = address.size == 4 ? AF_INET : AF_INET6;
    if (!::inet_ntop(family, address.bytes.data(), text, sizeof text))
        return "";
    return text;
}

bool Network::contains(const Address& other) const {
    int bits = ipv6_prefix_bits(*this);
    if (other.size == 4 && bits < mapped_prefix_bits)
        return false;
    return network_start(ipv6_bytes(other), bits) ==
           network_start(ipv6_bytes(address), bits);
}

bool Network::contains(std::string_view text) const {
    auto other = parse_client_address(text);
    return other && contains(*other);
}

Result<Network> parse_network(std::string_view text) {
    if (auto prefix = ipv4_prefix(text))
        return *prefix;
    size_t slash = text.find('/');
    std::string_view ip = text.substr(0, slash);
    bool v6 = ip.find(':') != std::string_view::npos;
    auto address = parse_address(ip);
    if (!address)
        return Error{"", not_a_network(text), ExitCode::config};
    int max_bits = static_cast<int>(address->size * 8);
    if (slash == std::string_view::npos) {
        // "::" alone is the unspecified address: no client has it, and
        // the network it might be taken for, ::/0, is every IPv6 client.
        if (ip == "::")
            return Error{"",
                         fmt::format("\"{}\" is the unspecified address, "
                                     "which no client has (every IPv6 "
                                     "client is ::/0)",
                                     text),
                         ExitCode::config};
        // An administrator who writes "2001:db8:bad::" means the network,
        // as "192.0.2." is one; it is the single address ...::0.
        if (ip.ends_with("::"))
            return Error{"",
                         fmt::format("\"{}\" is one address, not a network: "
                                     "write {}/{}",
                                     text, text, 16 * groups_before_gap(ip)),
                         ExitCode::config};
        return Network{*address, max_bits};
    }
    std::string_view bits = text.substr(slash + 1);
    if (!all_digits(bits) || bits.size() > 3)
        return Error{"", not_a_network(text), ExitCode::config};
    int prefix = std::stoi(std::string(bits));
    if (v6 && address->size == 4) {
        // A mapped network ::ffff:192.0.2.0/120 is 192.0.2.0/24; a
        // shorter one, ::ffff:0:0/95, is an IPv6 network (of IPv6
        // clients alone, as ::/0 is).
        if (prefix < 96)
            return Network{Address{ipv6_bytes(*address), 16}, prefix};
        prefix -= 96;
    }
    if (prefix > max_bits)
        return Error{"", not_a_network(text), ExitCode::config};
    return Network{*address, prefix};
}

NetworkSet::NetworkSet(const std::vector<Network>& networks) {
    for (const Network& network : networks) {
        int bits = ipv6_prefix_bits(network);
        auto length = std::find_if(
            lengths_.begin(), lengths_.end(),
            [&](const Length& l) { return l.prefix_bits == bits; });
        if (length == lengths_.end())
            length = lengths_.insert(lengths_.end(), Length{bits, {}});
        length->starts.push_back(
            network_start(ipv6_bytes(network.address), bits));
    }
    for (Length& length : lengths_) {
        std::sort(length.starts.begin(), length.starts.end());
        length.starts.erase(
            std::unique(length.starts.begin(), length.starts.end()),
            length.starts.end());
    }
}

bool NetworkSet::contains(const Address& address) const {
    std::array<uint8_t, 16> bytes = ipv6_bytes(address);
    return std::any_of(lengths_.begin(), lengths_.end(), [&](const Length& l) {
        if (address.size == 4 && l.prefix_bits < mapped_prefix_bits)
            return false;
        return std::binary_search(l.starts.begin(), l.starts.end(),
                                  network_start(bytes, l.prefix_bits));
    });
}

} // namespace portcullis::net
