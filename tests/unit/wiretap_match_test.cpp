// wiretap's readings of an address: every address a next hop could
// deliver a message to, so that a tap copies whatever reaches the
// watched person however the sender wrote the address.
#include "mail/unicode_fold.hpp"
#include "wiretap.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace portcullis;

namespace {

bool read_as(std::string_view address, std::string_view reading,
             std::string_view separators = "+") {
    auto readings = wiretap::delivery_readings(address, separators);
    return std::find(readings.begin(), readings.end(), reading) !=
           readings.end();
}

} // namespace

TEST_CASE("a source route is dropped as RFC 5321 asks a server to") {
    CHECK(read_as("@relay.example:bob@example.com", "bob@example.com"));
    CHECK(read_as("<@relay.example:bob@example.com>", "bob@example.com"));
    CHECK(
        read_as("<@a.example,@b.example:bob@example.com>", "bob@example.com"));
    CHECK(read_as("@[IPv6:::1]:bob@example.com", "bob@example.com"));
}

TEST_CASE("each hop of the percent hack is a reading") {
    CHECK(read_as("bob%example.com@relay.example", "bob@example.com"));
    CHECK(read_as("bob%example.com%hop.example@relay.example",
                  "bob%example.com@hop.example"));
    CHECK(read_as("bob%example.com%hop.example@relay.example",
                  "bob@example.com"));
    CHECK(read_as("\"bob%example.com\"@relay.example", "bob@example.com"));
}

TEST_CASE("a sub-address is cut at the first separator") {
    CHECK(read_as("bob+tag@example.com", "bob@example.com"));
    CHECK(read_as("bob+a+b@example.com", "bob@example.com"));
    CHECK(read_as("bob-tag@example.com", "bob@example.com", "+-"));
    CHECK_FALSE(read_as("bob-tag@example.com", "bob@example.com", "+"));
    CHECK_FALSE(read_as("bob+tag@example.com", "bob@example.com", ""));
    CHECK_FALSE(read_as("+tag@example.com", "@example.com"));
}

TEST_CASE("the percent hack and a sub-address are read in either order") {
    CHECK(read_as("bob+x%example.com@relay.example", "bob@example.com"));
    CHECK(read_as("bob%example.com+x@relay.example", "bob@example.com"));
    CHECK(read_as("@relay.example:bob+x%example.com@relay.example",
                  "bob@example.com"));
}

TEST_CASE("readings are in the normal form watch entries compare in") {
    CHECK(read_as("<\"Bob\"@EXAMPLE.com.>", "Bob@example.com"));
    CHECK(read_as("Bob+X@Example.COM", "Bob@example.com"));
}

TEST_CASE("every addr-spec-looking token is found however the rest reads") {
    using Tokens = std::vector<std::string>;
    auto has = [](std::string_view text, const char* token) {
        Tokens tokens = wiretap::address_tokens(text);
        return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
    };
    CHECK(has("alice@other.org)<bob@example.com>", "bob@example.com"));
    CHECK(has("alice@other.org)<bob@example.com>", "alice@other.org"));
    CHECK(has("bob@example.com <alice@other.org>", "bob@example.com"));
    CHECK(has("<bob@example.com", "bob@example.com"));
    CHECK(has("bob@example.com (Bob", "bob@example.com"));
    CHECK(has("bob@example.com;alice@other.org", "bob@example.com"));
    CHECK(has("bob(comment)@example.com", "bob@example.com"));
    CHECK(has("\"b o b\"@example.com", "\"b o b\"@example.com"));
    CHECK(has("x <bob@[192.0.2.1]>", "bob@[192.0.2.1]"));
    CHECK(wiretap::address_tokens("no address @ here").empty());
    CHECK(wiretap::address_tokens("@@@").empty());
}

TEST_CASE("a long chain of percent hops takes linear work") {
    std::string address(200000, '%');
    address += "@relay.example";
    auto readings = wiretap::delivery_readings(address, "+");
    CHECK(readings.size() < 20);
}

TEST_CASE("an address beyond ASCII is also read composed and case-folded") {
    CHECK(read_as("JOSÉ@example.net", "josé@example.net"));
    CHECK(read_as("jose\u0301@example.net", "josé@example.net"));
    CHECK(read_as("JOSE\u0301+tag@example.net", "josé@example.net"));
    CHECK(read_as("JOSÉ%example.net@relay.example", "josé@example.net"));
    CHECK(mime::unicode_folded("JOSÉ@Example.NET") == "josé@example.net");
    CHECK_FALSE(mime::unicode_folded("BOB@example.com"));
}

TEST_CASE("an address that is not UTF-8 keeps its reading as written") {
    std::string broken = "jos\xc3@example.net";
    CHECK_FALSE(mime::unicode_folded(broken));
    CHECK(read_as(broken, broken));
    std::string with_nul("jos\xc3\xa9\0x@example.net", 16);
    CHECK_FALSE(mime::unicode_folded(with_nul));
}
