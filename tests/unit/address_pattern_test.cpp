// Address list entries as spam-score and policy-check read them: an
// address, exactly one domain, or a domain with its subdomains, and
// nothing else.
#include "mail/address_pattern.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;

namespace {

bool matches(std::string_view entry, std::string_view address) {
    auto pattern = mail::parse_address_pattern(entry);
    REQUIRE(pattern.ok());
    return pattern->matches(address);
}

} // namespace

TEST_CASE("an address entry matches that address alone") {
    CHECK(matches("bob@example.com", "bob@example.com"));
    CHECK(matches("Bob@Example.COM", "bob@example.com."));
    CHECK(matches("bob@example.com", "<BOB@example.com>"));
    CHECK(matches("\"bob\"@example.com", "bob@example.com"));
    CHECK_FALSE(matches("bob@example.com", "bob@x.example.com"));
    CHECK_FALSE(matches("bob@example.com", "rob@example.com"));
}

TEST_CASE("a domain entry and an at-domain entry match that domain only") {
    for (const char* entry :
         {"spam.example", "@spam.example", "SPAM.example."}) {
        CHECK(matches(entry, "a@spam.example"));
        CHECK(matches(entry, "a@SPAM.EXAMPLE."));
        CHECK_FALSE(matches(entry, "a@x.spam.example"));
        CHECK_FALSE(matches(entry, "a@evilspam.example"));
    }
    CHECK_FALSE(matches("example", "a@evilspam.example"));
    CHECK(matches("example", "a@example"));
}

TEST_CASE("a wildcard entry matches the domain and its subdomains") {
    for (const char* entry : {"*.wild.example", ".wild.example"}) {
        CHECK(matches(entry, "a@wild.example"));
        CHECK(matches(entry, "a@x.wild.example"));
        CHECK(matches(entry, "a@y.x.WILD.example."));
        CHECK_FALSE(matches(entry, "a@notwild.example"));
        CHECK_FALSE(matches(entry, "a@wild.example.org"));
    }
}

TEST_CASE("an entry of no known form is refused") {
    for (const char* entry :
         {"*spam.example", "*@spam.example", "bob@*.example", "a b@x.example",
          "bob@", "@", "", "*.", "x..example", "bob@x..example", "@.x",
          "spam.*", "<>", "a@b@", "exa mple.com"}) {
        auto pattern = mail::parse_address_pattern(entry);
        CHECK(!pattern.ok());
        if (!pattern.ok())
            CHECK(pattern.error().message ==
                  "\"" + std::string(entry) +
                      "\" is not an address, domain, @domain or *.domain");
    }
}

TEST_CASE("a source-routed address matches the address after the route") {
    CHECK(matches("bad@example.com", "<@relay.org:bad@example.com>"));
    CHECK(matches("bad@example.com", "@a.example,@b.example:bad@example.com"));
    CHECK(matches("@example.com", "<@relay.org:x@example.com>"));
    CHECK_FALSE(matches("relay.org", "<@relay.org:x@example.com>"));
}
