// IP networks of client lists and client conditions: addresses compare
// as bytes, so every way of writing one address matches it, and an
// entry that is no address or network is refused when it is read.
#include "core/ip_network.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

using namespace portcullis;

namespace {

bool contains(std::string_view network, std::string_view address) {
    auto parsed = net::parse_network(network);
    REQUIRE(parsed.ok());
    return parsed->contains(address);
}

std::string refusal(std::string_view network) {
    auto parsed = net::parse_network(network);
    REQUIRE(!parsed.ok());
    CHECK(parsed.error().exit_code == ExitCode::config);
    return parsed.error().message;
}

} // namespace

TEST_CASE("an ipv4 cidr network holds the addresses under its prefix") {
    CHECK(contains("192.0.2.0/24", "192.0.2.5"));
    CHECK(contains("192.0.2.0/24", "192.0.2.255"));
    CHECK_FALSE(contains("192.0.2.0/24", "192.0.3.5"));
    CHECK(contains("10.1.1.1", "10.1.1.1"));
    CHECK_FALSE(contains("10.1.1.1", "10.1.1.10"));
    CHECK(contains("0.0.0.0/0", "203.0.113.9"));
    CHECK(contains("192.0.2.128/25", "192.0.2.200"));
    CHECK_FALSE(contains("192.0.2.128/25", "192.0.2.127"));
}

TEST_CASE("an ipv6 address matches however it is written") {
    CHECK(contains("2001:db8::1", "2001:db8:0:0::1"));
    CHECK(contains("2001:db8::1", "2001:0DB8:0000:0000:0000:0000:0000:0001"));
    CHECK_FALSE(contains("2001:db8::1", "2001:db8::2"));
    CHECK(contains("2001:db8:bad::/48", "2001:db8:bad::1"));
    CHECK(contains("2001:db8:bad::/48", "2001:db8:bad:ffff::1"));
    CHECK_FALSE(contains("2001:db8:bad::/48", "2001:db8:bae::1"));
}

TEST_CASE("an ipv4-mapped ipv6 address is the ipv4 address it carries") {
    CHECK(contains("10.1.1.1", "::ffff:10.1.1.1"));
    CHECK(contains("192.0.2.0/24", "::FFFF:192.0.2.77"));
    CHECK(contains("::ffff:10.1.1.1", "10.1.1.1"));
    CHECK(contains("::ffff:192.0.2.0/120", "192.0.2.9"));
    CHECK_FALSE(contains("::ffff:192.0.2.0/120", "192.0.3.9"));
    // An IPv4 network holds no address outside the mapped range.
    CHECK_FALSE(contains("0.0.0.0/0", "2001:db8::1"));
    CHECK_FALSE(contains("0.0.0.0/0", "::fffe:c000:201"));
}

TEST_CASE("only a network within the mapped range holds ipv4_clients") {
    // ::ffff:0:0/95 was refused: its prefix, less the 96 bits of the
    // mapped range, came out negative. It is an IPv6 network, and as
    // ::/0 it holds IPv6 clients alone.
    REQUIRE(net::parse_network("::ffff:0:0/95").ok());
    CHECK_FALSE(contains("::ffff:0:0/95", "192.0.2.1"));
    CHECK_FALSE(contains("::ffff:0:0/95", "::ffff:203.0.113.9"));
    CHECK(contains("::ffff:0:0/95", "::fffe:0:1"));
    CHECK_FALSE(contains("::ffff:0:0/95", "::fffd:ffff:ffff"));
    CHECK_FALSE(contains("::ffff:0:0/95", "2001:db8::1"));
    // /96 is the mapped range alone: every IPv4 client, no IPv6 one.
    CHECK(contains("::ffff:0:0/96", "0.0.0.0"));
    CHECK(contains("::ffff:0:0/96", "255.255.255.255"));
    CHECK_FALSE(contains("::ffff:0:0/96", "::fffe:0:1"));
    CHECK_FALSE(contains("::ffff:0:0/96", "::1"));
    // /0 is every IPv6 client: an IPv4 one, however written, is not.
    CHECK(contains("::/0", "2001:db8::1"));
    CHECK_FALSE(contains("::/0", "::ffff:192.0.2.1"));
    CHECK_FALSE(contains("::/0", "192.0.2.1"));
    // /128 of a mapped address is that IPv4 address alone.
    CHECK(contains("::ffff:192.0.2.1/128", "192.0.2.1"));
    CHECK_FALSE(contains("::ffff:192.0.2.1/128", "192.0.2.2"));
    CHECK(contains("2001:db8::7/128", "2001:db8:0::7"));
    CHECK_FALSE(contains("2001:db8::7/128", "2001:db8::6"));
    // ::/80 ends where the mapped range's ffff starts: IPv6 alone.
    CHECK_FALSE(contains("::/80", "198.51.100.1"));
    CHECK(contains("::/80", "::1"));
    CHECK_FALSE(contains("::/81", "198.51.100.1"));
    CHECK(contains("::/81", "::7fff:1:2"));
    CHECK(refusal("::ffff:0:0/129") ==
          "\"::ffff:0:0/129\" is not an IP address or network "
          "(192.0.2.0/24, 2001:db8::/32)");
}

TEST_CASE("the ipv4 prefix form names whole octets") {
    CHECK(contains("192.0.2.", "192.0.2.7"));
    CHECK_FALSE(contains("192.0.2.", "192.0.20.7"));
    CHECK(contains("10.", "10.200.1.1"));
    CHECK_FALSE(contains("10.", "110.0.0.1"));
    CHECK(contains("172.16.", "172.16.9.9"));
}

TEST_CASE("text that is no address is inside no network") {
    CHECK_FALSE(contains("0.0.0.0/0", ""));
    CHECK_FALSE(contains("0.0.0.0/0", "unknown"));
    CHECK_FALSE(contains("192.0.2.0/24", "192.0.2.5 "));
}

TEST_CASE("an entry that is no address or network is refused") {
    std::string forms = "is not an IP address or network (192.0.2.0/24, "
                        "2001:db8::/32)";
    CHECK(refusal("192.0.2.0/33") == "\"192.0.2.0/33\" " + forms);
    CHECK(refusal("2001:db8::/129") == "\"2001:db8::/129\" " + forms);
    CHECK(refusal("192.0.2.0/") == "\"192.0.2.0/\" " + forms);
    CHECK(refusal("192.0.2.0/2x") == "\"192.0.2.0/2x\" " + forms);
    CHECK(refusal("example.com") == "\"example.com\" " + forms);
    CHECK(refusal("192.0.2.0.") == "\"192.0.2.0.\" " + forms);
    CHECK(refusal("300.0.0.") == "\"300.0.0.\" " + forms);
    CHECK(refusal("") == "\"\" " + forms);
}

TEST_CASE("an ipv6 address ending in :: is refused as a network") {
    CHECK(refusal("2001:db8:bad::") ==
          "\"2001:db8:bad::\" is one address, not a network: write "
          "2001:db8:bad::/48");
    CHECK(refusal("2001:db8::") ==
          "\"2001:db8::\" is one address, not a network: write "
          "2001:db8::/32");
}

TEST_CASE("the unspecified address is refused without suggesting ::/0") {
    // "write ::/0" was the hint, which lists every IPv6 client.
    CHECK(refusal("::") == "\"::\" is the unspecified address, which no "
                           "client has (every IPv6 client is ::/0)");
}

TEST_CASE("a client written as an address literal or with a zone is read") {
    CHECK(contains("192.0.2.0/24", "[192.0.2.7]"));
    CHECK(contains("2001:db8::/32", "[IPv6:2001:db8::1]"));
    CHECK(contains("2001:db8::/32", "[ipv6:2001:DB8::1]"));
    CHECK(contains("2001:db8::/32", "[2001:db8::1]"));
    CHECK(contains("fe80::/10", "fe80::1%eth0"));
    CHECK(contains("192.0.2.7", "[::ffff:192.0.2.7]"));
    CHECK_FALSE(contains("192.0.2.0/24", "[192.0.3.7]"));
    // A zone belongs to IPv6 alone, and names something.
    CHECK_FALSE(net::parse_client_address("192.0.2.7%eth0"));
    CHECK_FALSE(net::parse_client_address("fe80::1%"));
    CHECK_FALSE(net::parse_client_address("[192.0.2.7"));
    CHECK_FALSE(net::parse_client_address("[]"));
    CHECK_FALSE(net::parse_client_address("[IPv6:192.0.2.7x]"));
    CHECK(net::to_string(*net::parse_client_address("[IPv6:2001:DB8:0::1]")) ==
          "2001:db8::1");
}

TEST_CASE("a network set holds what one of its networks holds") {
    std::vector<net::Network> networks;
    for (const char* text :
         {"192.0.2.0/24", "192.0.2.128/25", "198.51.100.7", "10.",
          "10.1.0.0/16", "203.0.113.64/27", "2001:db8::/32",
          "2001:db8:bad::/48", "2001:db8:0:1::5", "fe80::/10", "192.0.2.0/24"})
        networks.push_back(*net::parse_network(text));
    net::NetworkSet set(networks);
    auto holds = [&](std::string_view ip) {
        return set.contains(*net::parse_client_address(ip));
    };
    CHECK(holds("192.0.2.1"));
    CHECK(holds("192.0.2.200"));
    CHECK(holds("198.51.100.7"));
    CHECK_FALSE(holds("198.51.100.8"));
    CHECK(holds("10.200.3.4"));
    CHECK(holds("203.0.113.95"));
    CHECK_FALSE(holds("203.0.113.96"));
    CHECK(holds("2001:db8:ffff::1"));
    CHECK(holds("2001:db8:0:1::5"));
    CHECK(holds("[IPv6:FE80::1]"));
    CHECK(holds("::ffff:10.0.0.1"));
    CHECK_FALSE(holds("2001:db9::1"));
    // An IPv4 network never holds an IPv6 address with the same bytes.
    CHECK_FALSE(holds("c000:201::"));
    CHECK_FALSE(net::NetworkSet().contains(*net::parse_address("192.0.2.1")));
    CHECK(net::NetworkSet({*net::parse_network("::/0")})
              .contains(*net::parse_address("2001:db8::1")));
    CHECK_FALSE(net::NetworkSet({*net::parse_network("::/0")})
                    .contains(*net::parse_address("192.0.2.1")));
    net::NetworkSet mapped({*net::parse_network("::ffff:0:0/95")});
    CHECK_FALSE(mapped.contains(*net::parse_address("192.0.2.1")));
    CHECK(mapped.contains(*net::parse_address("::fffe:1:2")));
    CHECK_FALSE(mapped.contains(*net::parse_address("2001:db8::1")));
    CHECK_FALSE(net::NetworkSet({*net::parse_network("::ffff:0:0/96")})
                    .contains(*net::parse_address("::fffe:1:2")));
}

TEST_CASE("a network set answers as a scan of its networks does") {
    // Random networks of every prefix length from 8, and addresses near
    // them: the set must agree with asking each network in turn.
    uint32_t seed = 12345;
    auto next = [&] {
        seed = seed * 1103515245 + 12345;
        return static_cast<uint8_t>(seed >> 16);
    };
    std::vector<net::Network> networks;
    for (int i = 0; i < 100; ++i) {
        net::Network network;
        network.address.size = i % 3 == 0 ? 16 : 4;
        for (size_t b = 0; b < network.address.size; ++b)
            network.address.bytes[b] = next() & 0x0f;
        network.prefix_bits =
            8 + static_cast<int>(next() % (network.address.size * 8 - 7));
        networks.push_back(network);
    }
    net::NetworkSet set(networks);
    int held = 0;
    for (int i = 0; i < 3000; ++i) {
        net::Address address;
        address.size = i % 3 == 0 ? 16 : 4;
        for (size_t b = 0; b < address.size; ++b)
            address.bytes[b] = next() & 0x0f;
        bool scanned = std::any_of(
            networks.begin(), networks.end(),
            [&](const net::Network& n) { return n.contains(address); });
        REQUIRE(set.contains(address) == scanned);
        held += scanned;
    }
    // Both answers were asked for often.
    CHECK(held > 300);
    CHECK(held < 2700);
}
