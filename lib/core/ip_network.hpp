// IP addresses and networks as lists and rules name them: an address or
// a CIDR network of either family, and the IPv4 prefix "192.0.2." that
// spam-score's lists took first. An IPv4-mapped IPv6 address
// (::ffff:192.0.2.1) is the IPv4 address it carries, on both sides, and
// an IPv6 network that holds it (::/0, ::ffff:0:0/95) holds that client.
#pragma once

#include "core/result.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::net {

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address.
struct Address {
    std::array<uint8_t, 16> bytes{};
    size_t size = 0;
};

/// Parses an address as inet_pton reads it, so every way of writing one
/// IPv6 address gives the same bytes; an IPv4-mapped address is IPv4.
std::optional<Address> parse_address(std::string_view text);

/// Parses a client's address as front ends write it: what parse_address
/// takes, an SMTP address literal ("[192.0.2.7]", "[IPv6:2001:db8::1]"),
/// or an IPv6 address with a zone ("fe80::1%eth0"), whose zone is left
/// out: networks in lists name no zone.
std::optional<Address> parse_client_address(std::string_view text);

/// Returns an address as inet_ntop writes it ("2001:db8::1").
std::string to_string(const Address& address);

/// A network: an address and how many of its leading bits count. A
/// network within the IPv4-mapped range is IPv4 (::ffff:192.0.2.0/120 is
/// 192.0.2.0/24); an IPv6 network that holds that range holds the IPv4
/// addresses in it, as the mapped addresses they are.
struct Network {
    Address address;
    int prefix_bits = 0;

    /// Returns true when the address is inside.
    bool contains(const Address& address) const;

    /// Returns true when the address, written as text in any form
    /// parse_client_address takes, is inside; text that is no address is
    /// inside no network.
    bool contains(std::string_view address) const;
};

/// Parses "192.0.2.7", "192.0.2.0/24", "2001:db8::1", "2001:db8::/32",
/// any other IPv6 prefix from /0 to /128 ("::ffff:0:0/95" too), or the
/// prefix "192.0.2."; anything else is an Error saying why.
/// "2001:db8::" alone is refused: it reads as a network, but is one
/// address.
Result<Network> parse_network(std::string_view text);

/// Networks to look an address up in, as block and allow lists hold
/// them. A lookup costs one binary search per prefix length in the set
/// (at most 129, counted as IPv6 prefixes with IPv4 as mapped), not one
/// comparison per network, so a list of 100,000 networks costs about
/// what one of a hundred does.
class NetworkSet {
public:
    NetworkSet() = default;
    explicit NetworkSet(const std::vector<Network>& networks);

    /// Returns true when some network of the set holds the address.
    bool contains(const Address& address) const;

    bool empty() const { return lengths_.empty(); }

private:
    /// The networks of one prefix length, counted in IPv6 bits, as their
    /// first addresses in IPv6 bytes, sorted.
    struct Length {
        int prefix_bits = 0;
        std::vector<std::array<uint8_t, 16>> starts;
    };
    std::vector<Length> lengths_;
};

} // namespace portcullis::net
