// Address parsing: the RFC 5322 forms are read, and inputs that readers
// disagree on (CVE-2023-27043) are refused instead of guessed at.
#include "mail/address.hpp"
#include "mail/envelope.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;
using mail::parse_address_list;

namespace {

std::vector<std::string> addresses(std::string_view text) {
    auto list = parse_address_list(text);
    REQUIRE(list.ok());
    std::vector<std::string> out;
    for (const auto& box : *list)
        out.push_back(box.address());
    return out;
}

std::string error_of(std::string_view text) {
    auto list = parse_address_list(text);
    REQUIRE_FALSE(list.ok());
    return list.error().message;
}

} // namespace

TEST_CASE("a bare addr-spec parses") {
    CHECK(addresses("bob@example.net") ==
          std::vector<std::string>{"bob@example.net"});
}

TEST_CASE("a display name and angle address parse") {
    auto list = parse_address_list("Bob Example <bob@example.net>");
    REQUIRE(list.ok());
    REQUIRE(list->size() == 1);
    CHECK((*list)[0].display_name == "Bob Example");
    CHECK((*list)[0].local_part == "bob");
    CHECK((*list)[0].domain == "example.net");
}

TEST_CASE("a quoted display name keeps its commas and at signs") {
    auto list =
        parse_address_list("\"Example, Bob (sales@x)\" <bob@example.net>, "
                           "carol@example.org");
    REQUIRE(list.ok());
    REQUIRE(list->size() == 2);
    CHECK((*list)[0].display_name == "Example, Bob (sales@x)");
    CHECK((*list)[1].address() == "carol@example.org");
}

TEST_CASE("comments are skipped and remembered") {
    auto list = parse_address_list("bob@example.net (Bob Example)");
    REQUIRE(list.ok());
    CHECK((*list)[0].comment == "Bob Example");
    CHECK(addresses("(x) bob (y) @ (z) example . net (w)") ==
          std::vector<std::string>{"bob@example.net"});
    CHECK(addresses("b@example.net (nested (comment) here)") ==
          std::vector<std::string>{"b@example.net"});
}

TEST_CASE("a quoted local part is kept and quoted again") {
    auto list = parse_address_list("\"john doe\"@example.com");
    REQUIRE(list.ok());
    CHECK((*list)[0].local_part == "john doe");
    CHECK((*list)[0].address() == "\"john doe\"@example.com");
    CHECK(addresses("\"a@b\"@example.com") ==
          std::vector<std::string>{"\"a@b\"@example.com"});
    CHECK(mail::domain_of("\"a@b\"@Example.COM") == "example.com");
}

TEST_CASE("groups are flattened and may be empty") {
    auto list = parse_address_list(
        "Team: a@example.com, B <b@example.com>;, c@example.org");
    REQUIRE(list.ok());
    REQUIRE(list->size() == 3);
    CHECK((*list)[0].group == "Team");
    CHECK((*list)[1].group == "Team");
    CHECK((*list)[2].group.empty());
    CHECK(addresses("undisclosed-recipients:;").empty());
    CHECK(addresses("undisclosed-recipients:").empty());
}

TEST_CASE("an obsolete route is accepted and dropped") {
    CHECK(addresses("<@relay.example.org,@b.example.org:bob@example.net>") ==
          std::vector<std::string>{"bob@example.net"});
}

TEST_CASE("empty list elements are allowed as obs-addr-list says") {
    CHECK(addresses(" , a@example.com,, b@example.com ,") ==
          std::vector<std::string>{"a@example.com", "b@example.com"});
    CHECK(addresses("").empty());
}

TEST_CASE("a domain literal parses") {
    CHECK(addresses("postmaster@[192.0.2.1]") ==
          std::vector<std::string>{"postmaster@[192.0.2.1]"});
}

TEST_CASE("an encoded-word display name is decoded") {
    auto list = parse_address_list("=?UTF-8?B?SsO2cmc=?= <jorg@example.com>");
    REQUIRE(list.ok());
    CHECK((*list)[0].display_name == "J\xC3\xB6rg");
}

TEST_CASE("utf-8 addresses are accepted as RFC 6532 allows") {
    CHECK(addresses("J\xC3\xB6rg <j\xC3\xB6rg@b\xC3\xBC"
                    "cher.example>") ==
          std::vector<std::string>{"j\xC3\xB6rg@b\xC3\xBC"
                                   "cher.example"});
}

TEST_CASE("cve_2023_27043_stray_paren_is_invalid_not_the_first_address") {
    CHECK(error_of("alice@example.com)<someone@example.net>") ==
          "unbalanced ')' at offset 17");
}

TEST_CASE("cve_2023_27043_stray_bracket_is_invalid") {
    CHECK(error_of("alice@example.com[<someone@example.net>") ==
          "'[' outside a domain literal at offset 17");
}

TEST_CASE("an addr-spec run into an angle address is invalid") {
    CHECK(error_of("alice@example.com<bob@example.org>") ==
          "unexpected '<' after an address at offset 17");
}

TEST_CASE("a display name without angle brackets is invalid") {
    CHECK(error_of("Bob Example bob@example.net") ==
          "words without a dot before '@' (a display name needs angle "
          "brackets)");
    CHECK(error_of("Bob Example") == "address ends after \"Bob Example\"");
}

TEST_CASE("unterminated quotes, comments and literals are invalid") {
    CHECK(error_of("\"bob <bob@example.net>") ==
          "unterminated quoted string at offset 0");
    CHECK(error_of("bob@example.net (Bob") ==
          "unterminated comment at offset 16");
    CHECK(error_of("bob@[192.0.2.1") ==
          "unterminated domain literal at offset 4");
}

TEST_CASE("normal_address gives one form for every way to write it") {
    using portcullis::mail::normal_address;
    CHECK(normal_address(" <\"Bob\"@Example.COM.> ") == "Bob@example.com");
    CHECK(normal_address("bob@example.com.") == "bob@example.com");
    CHECK(normal_address("\"b\\\"o\"@x.org") == "b\"o@x.org");
    CHECK(normal_address("postmaster") == "postmaster");
}

TEST_CASE("address_key names one mailbox however it is written") {
    using mail::address_key;
    std::string bob = "bob@example.com";
    CHECK(address_key("\"bob\"@example.com") == bob);
    CHECK(address_key("<bob@example.com>") == bob);
    CHECK(address_key("bob@example.com.") == bob);
    CHECK(address_key("BOB@Example.COM") == bob);
    CHECK(address_key(" < \"Bob\"@EXAMPLE.com.. > ") == bob);
    CHECK(mail::same_address("\"bob\"@example.com", "<BOB@example.com.>"));
    CHECK_FALSE(mail::same_address("bob@example.com", "rob@example.com"));
}

TEST_CASE("a source route before an envelope address is dropped") {
    using mail::address_key;
    CHECK(address_key("<@relay.org:Bad@Example.COM>") == "bad@example.com");
    CHECK(address_key("@a.example,@[192.0.2.1]:bad@example.com") ==
          "bad@example.com");
    CHECK(mail::domain_of("<@relay.org:bad@example.com>") == "example.com");
    CHECK(mail::normal_address("<@relay.org:Bad@example.com>") ==
          "Bad@example.com");
    // Only a route of "@domain" hops is one; anything else stays.
    CHECK(address_key("@relay.org bad@example.com") ==
          "@relay.org bad@example.com");
    CHECK(address_key("@:bad@example.com") == "@:bad@example.com");
    CHECK(address_key("\"a:b\"@example.com") == "a:b@example.com");
}

TEST_CASE("an internationalised domain compares as its A-label") {
    using mail::normal_domain;
    CHECK(normal_domain("bücher.example") == "xn--bcher-kva.example");
    CHECK(normal_domain("BÜCHER.example") == "xn--bcher-kva.example");
    CHECK(normal_domain("XN--BCHER-KVA.Example.") == "xn--bcher-kva.example");
    // "ü" written as "u" and a combining diaeresis is the same name.
    CHECK(normal_domain("bu\xCC\x88"
                        "cher.example") == "xn--bcher-kva.example");
    CHECK(normal_domain("münchen.example") == "xn--mnchen-3ya.example");
    CHECK(mail::same_address("Anna@MÜNCHEN.example",
                             "anna@xn--mnchen-3ya.example"));
    CHECK(mail::domain_of("<x@Bücher.Example.>") == "xn--bcher-kva.example");
}

TEST_CASE("a non-ASCII local part matches itself exactly") {
    CHECK(mail::address_key("josé@example.net") == "josé@example.net");
    CHECK(mail::address_key("JOSÉ@example.net") == "josÉ@example.net");
    CHECK(mail::same_address("\"josé\"@example.net", "josé@example.net."));
    CHECK_FALSE(mail::same_address("josé@example.net", "jose@example.net"));
}

TEST_CASE("a label IDNA refuses is only lower-cased, never a crash") {
    using mail::normal_domain;
    CHECK(normal_domain("\xFF\xFE.EXAMPLE") == "\xFF\xFE.example");
    CHECK(normal_domain("\xF0\x9F\x98\x80.Example") ==
          "\xF0\x9F\x98\x80.example");
    CHECK(normal_domain("xn--zzzz.EXAMPLE") == "xn--zzzz.example");
    CHECK(normal_domain("a_b.Example") == "a_b.example");
    CHECK(normal_domain(std::string("\xC3\xBC\0x.Example", 12)) ==
          std::string("\xC3\xBC\0x.example", 12));
    // "-X-.MÜNCHEN.example", the Ü written as its UTF-8 bytes.
    CHECK(normal_domain("-X-.M\xC3\x9C"
                        "NCHEN.example") == "-x-.xn--mnchen-3ya.example");
    CHECK(normal_domain("").empty());
    CHECK(normal_domain("...").empty());
}

TEST_CASE("a domain in root form with a trailing dot is read") {
    auto list = portcullis::mail::parse_address_list("nuisance@example.org.");
    REQUIRE(list);
    CHECK((*list)[0].domain == "example.org.");
}

TEST_CASE("odd bytes in domains and NUL anywhere are invalid") {
    CHECK(error_of("bob@exa!mple.com") ==
          "unexpected '!' after an address at offset 7");
    CHECK(error_of("bob@example..com") ==
          "unexpected '.' where a domain label should be at offset 12");
    CHECK(error_of(std::string_view("bob@exa\0mple.com", 16)) ==
          "NUL in address");
    CHECK(error_of("<bob@example.net") == "address ends where '>' should be");
    CHECK(error_of("a: b: c@example.com;;") == "a group inside a group");
}

TEST_CASE("parse_mailbox wants exactly one mailbox") {
    CHECK(mail::parse_mailbox("<a@example.com>").ok());
    CHECK(mail::parse_mailbox("a@example.com, b@example.com").error().message ==
          "expected one mailbox, found 2");
}

TEST_CASE("parse_path reads the null path") {
    CHECK(*mail::parse_path(" <> ") == "");
    CHECK(*mail::parse_path("<bounce@example.org>") == "bounce@example.org");
}

TEST_CASE("domain_of lower-cases and drops a final dot") {
    CHECK(mail::domain_of("Bob@Example.NET.") == "example.net");
    CHECK(mail::domain_of("no-at-sign") == "");
}

TEST_CASE("display_name_spoof flags an address of another domain") {
    CHECK(
        mail::display_name_spoof("payroll@example.com", "someone@example.net"));
    CHECK(mail::display_name_spoof("Payroll (payroll\xEF\xBC\xA0"
                                   "example.com)",
                                   "someone@example.net"));
    CHECK_FALSE(mail::display_name_spoof("bob@example.net", "bob@example.net"));
    CHECK_FALSE(
        mail::display_name_spoof("bob@Example.net", "bob@mail.example.net"));
    CHECK_FALSE(mail::display_name_spoof("Sales @ HQ", "a@example.net"));
    CHECK_FALSE(mail::display_name_spoof("Bob Example", "b@example.net"));
}

TEST_CASE("the C07 display-name spoof is flagged") {
    auto box =
        mail::parse_mailbox("\"payroll@example.com\" <someone@example.net>");
    REQUIRE(box.ok());
    CHECK(mail::domain_of(box->address()) == "example.net");
    CHECK(mail::display_name_spoof(box->display_name, box->address()));
}

TEST_CASE("header_values unfolds and matches names case-insensitively") {
    std::string message = "To: a@example.com,\r\n b@example.com\r\n"
                          "to : c@example.com\r\n\r\nTo: body@x\r\n";
    CHECK(mail::header_values(message, "TO") ==
          std::vector<std::string>{"a@example.com, b@example.com",
                                   "c@example.com"});
}

TEST_CASE("an envelope from the stream is used as it is") {
    nlohmann::ordered_json envelope = {{"mail_from", ""},
                                       {"rcpt", {"x@example.com"}}};
    auto env = mail::read_envelope(envelope, "From: a@example.org\n\n");
    CHECK(env.mail_from == "");
    CHECK(env.rcpt == std::vector<std::string>{"x@example.com"});
    CHECK_FALSE(env.guessed());
}

TEST_CASE("a plain file's envelope is guessed from its headers") {
    std::string message = "From: A <a@example.org>\n"
                          "To: b@example.com, C <c@example.com>\n"
                          "Cc: B@example.com, d@example.com\n\nhi\n";
    auto env = mail::read_envelope({}, message);
    CHECK(env.mail_from == "a@example.org");
    CHECK(env.rcpt == std::vector<std::string>{"b@example.com", "c@example.com",
                                               "d@example.com"});
    CHECK(env.mail_from_guessed);
    CHECK(env.rcpt_guessed);
}

TEST_CASE("Return-Path and Delivered-To win over From and To") {
    std::string message = "Return-Path: <>\n"
                          "Delivered-To: final@example.com\n"
                          "Delivered-To: earlier@example.com\n"
                          "From: a@example.org\nTo: list@example.com\n\n";
    auto env = mail::read_envelope({}, message);
    CHECK(env.mail_from == "");
    CHECK(env.rcpt == std::vector<std::string>{"final@example.com"});
}

TEST_CASE("an invalid From gives no guessed sender") {
    std::string message =
        "From: alice@example.com)<someone@example.net>\nTo: b@x.example\n\n";
    auto env = mail::read_envelope({}, message);
    CHECK(env.mail_from == "");
    CHECK(env.mail_from_guessed);
}
