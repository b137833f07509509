// Recipients guessed from headers: a To line of tens of thousands of
// addresses is read in linear time, duplicates once, in first-seen order.
#include "core/watchdog.hpp"
#include "mail/envelope.hpp"
#include "mail/verdict.hpp"

#include "elapsed.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <fmt/format.h>

using namespace portcullis;
using portcullis::test::ms_since;

namespace {

// A generous bound: the parse deadline is 10 s, and the quadratic
// comparison this pins took over 20 s for 20,000 addresses.
constexpr long long quick_ms = 3000;

} // namespace

TEST_CASE("fifty thousand guessed recipients are read in linear time") {
    std::string to = "To: u0@example.com";
    for (int i = 1; i < 50000; ++i)
        to += fmt::format(",\n u{}@example.com", i);
    // The same mailboxes again, as Cc spells them: counted once.
    std::string cc = "Cc: U0@Example.COM.";
    for (int i = 1; i < 10000; ++i)
        cc += fmt::format(",\n \"u{}\"@EXAMPLE.com", i);
    std::string message =
        "From: a@example.org\n" + to + "\n" + cc + "\nSubject: x\n\nhi\n";

    auto began = std::chrono::steady_clock::now();
    auto env = mail::read_envelope({}, message);
    long long elapsed_ms = ms_since(began);

    REQUIRE(env.rcpt.size() == 50000);
    CHECK(env.rcpt.front() == "u0@example.com");
    CHECK(env.rcpt[12345] == "u12345@example.com");
    CHECK(env.rcpt.back() == "u49999@example.com");
    CHECK(env.rcpt_guessed);
    CHECK(elapsed_ms < quick_ms);
}

TEST_CASE("a verdict keeps fifty thousand recipient actions in order") {
    verdict::Verdict v("policy-check", "0.1.0");
    auto began = std::chrono::steady_clock::now();
    for (int i = 0; i < 50000; ++i)
        v.set_rcpt_action(fmt::format("u{}@example.com", i),
                          verdict::Action::pass);
    // Setting a recipient again changes its action in its place.
    v.set_rcpt_action("u7@example.com", verdict::Action::reject);
    auto json = v.to_json();
    long long elapsed_ms = ms_since(began);

    const auto& rcpt = json["rcpt"];
    REQUIRE(rcpt.size() == 50000);
    CHECK(rcpt.begin().key() == "u0@example.com");
    CHECK(std::prev(rcpt.end()).key() == "u49999@example.com");
    CHECK(rcpt["u7@example.com"]["action"] == "reject");
    CHECK(rcpt["u8@example.com"]["action"] == "pass");
    CHECK(elapsed_ms < quick_ms);
}

TEST_CASE("guessing recipients stops once the parse timeout has passed") {
    set_deadline(std::chrono::steady_clock::now() -
                 std::chrono::milliseconds(1));
    auto env = mail::read_envelope(
        {}, "From: a@example.org\nTo: b@example.com, c@example.com\n\nhi\n");
    clear_deadline();

    CHECK(env.rcpt.empty());
    CHECK(env.rcpt_guessed);
}

TEST_CASE("an envelope is guessed from the header block within its bound") {
    // Hundreds of thousands of addresses cost memory tens of times their
    // size; only the bound the MIME parse reads is read.
    std::string to = "To: u0@example.com";
    for (int i = 1; i < 200000; ++i)
        to += fmt::format(",\n u{}@example.com", i);
    std::string message =
        "From: a@example.org\n" + to + "\nCc: c@x.org\n\nhi\n";
    REQUIRE(message.size() > 4u << 20);

    auto env = mail::read_envelope({}, message);
    // The lines of To within 1 MiB: one address each, 19 to 24 bytes.
    CHECK(env.rcpt.size() > (1u << 20) / 24);
    CHECK(env.rcpt.size() < (1u << 20) / 19);
    CHECK(env.rcpt.front() == "u0@example.com");
    CHECK(env.mail_from == "a@example.org");

    CHECK(mail::header_values(message, "Cc").empty());
    CHECK(mail::header_values(message, "Cc", message.size()) ==
          std::vector<std::string>{"c@x.org"});
    // A bound cuts at the last whole line within it: a field that ends
    // inside the bound is read, folded lines and all.
    std::string small = "From: a@example.org\nTo: b@example.org,\n c@x.org\n"
                        "Cc: d@x.org\n\nhi\n";
    auto values = mail::header_values(small, "To", 48);
    CHECK(values == std::vector<std::string>{"b@example.org, c@x.org"});
    CHECK(mail::header_values(small, "Cc", 48).empty());
    CHECK(mail::header_values(small, "From", 5).empty());
}
