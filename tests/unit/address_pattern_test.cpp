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

TEST_CASE("an index of entries matches exactly what the entries match") {
    // Every form an entry or an address may take: the index must not
    // lose one that matching entry by entry finds, nor add one.
    const char* entries[] = {"bob@example.com",  "\"Carol\"@Example.ORG.",
                             "spam.example",     "@at.example",
                             "*.wild.example",   ".dot.example",
                             "bücher.example",   "*.XN--MNCHEN-3YA.example",
                             "josé@example.net", "example",
                             "a_b.example",      "x@full.example"};
    const char* addresses[] = {"bob@example.com",
                               "<BOB@Example.COM.>",
                               "\"bob\"@example.com",
                               "rob@example.com",
                               "carol@example.org",
                               "a@spam.example",
                               "a@x.spam.example",
                               "a@AT.example.",
                               "a@x.at.example",
                               "a@wild.example",
                               "a@y.x.WILD.example.",
                               "a@notwild.example",
                               "a@dot.example",
                               "a@x.dot.example",
                               "a@xdot.example",
                               "a@BÜCHER.example",
                               "a@xn--bcher-kva.example",
                               "a@x.bücher.example",
                               "a@münchen.example",
                               "a@a.b.MÜNCHEN.example",
                               "josé@example.net",
                               "JOSÉ@example.net",
                               "a@example",
                               "a@evilspam.example",
                               "a@A_B.example",
                               "x@full\xEF\xBC\x8E"
                               "example",
                               "<@relay.org:bob@example.com>",
                               "",
                               "no-at-sign",
                               "a@"};
    mail::AddressIndex index;
    std::vector<mail::AddressPattern> patterns;
    for (const char* entry : entries) {
        auto pattern = mail::parse_address_pattern(entry);
        REQUIRE(pattern.ok());
        patterns.push_back(*pattern);
        index.add(std::move(*pattern));
    }
    for (const char* address : addresses) {
        INFO(address);
        const mail::AddressPattern* first = nullptr;
        for (const auto& pattern : patterns)
            if (!first && pattern.matches(address))
                first = &pattern;
        const auto* found = index.find(mail::AddressKey::of(address));
        CHECK((found == nullptr) == (first == nullptr));
        if (found && first)
            CHECK(found->written == first->written);
    }
    CHECK(index.size() == std::size(entries));
}

TEST_CASE("an index names the first entry written when several match") {
    mail::AddressIndex index;
    for (const char* entry :
         {"*.example.com", "a@x.example.com", "x.example.com"}) {
        auto pattern = mail::parse_address_pattern(entry);
        REQUIRE(pattern.ok());
        index.add(std::move(*pattern));
    }
    const auto* found = index.find(mail::AddressKey::of("a@x.example.com"));
    REQUIRE(found);
    CHECK(found->written == "*.example.com");
    CHECK_FALSE(index.matches(mail::AddressKey::of("a@example.org")));
    CHECK_FALSE(index.matches(mail::AddressKey::of("")));
}

TEST_CASE("a source-routed address matches the address after the route") {
    CHECK(matches("bad@example.com", "<@relay.org:bad@example.com>"));
    CHECK(matches("bad@example.com", "@a.example,@b.example:bad@example.com"));
    CHECK(matches("@example.com", "<@relay.org:x@example.com>"));
    CHECK_FALSE(matches("relay.org", "<@relay.org:x@example.com>"));
}
