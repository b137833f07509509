// The default rule set's header rules on who a message is shown to and
// how its date is written, on messages of our own.
#include "spam_score_fixtures.hpp"

using namespace portcullis;
using namespace portcullis::spam_score;
using namespace portcullis::spam_score::testing;

namespace {

std::string message(const std::string& extra_headers) {
    return "From: Ann <ann@sender.example>\n"
           "To: bob@rcpt.example\n"
           "Message-Id: <1.2@sender.example>\n"
           "Date: Sat, 7 Sep 2002 17:58:28 +0000\n" +
           extra_headers + "Subject: lunch\n\nSee you at noon.\n";
}

} // namespace

TEST_CASE("an empty Cc header fires cc_empty, a missing one does not") {
    DefaultEngine engine;
    auto empty = engine->score(message("Cc: \n"));
    REQUIRE(empty.ok());
    CHECK(fired(*empty, "CC_EMPTY"));
    auto none = engine->score(message(""));
    REQUIRE(none.ok());
    CHECK(!fired(*none, "CC_EMPTY"));
    auto some = engine->score(message("Cc: carl@rcpt.example\n"));
    REQUIRE(some.ok());
    CHECK(!fired(*some, "CC_EMPTY"));
}

TEST_CASE("address counts in To and Cc count whole addresses") {
    DefaultEngine engine;
    auto four = engine->score(
        message("Cc: c@a.example, d@b.example, e@c.example, f@d.example\n"));
    REQUIRE(four.ok());
    CHECK(!fired(*four, "CC_MANY"));
    auto five =
        engine->score(message("Cc: c@a.example, d@b.example, "
                              "e@c.example, f@d.example, g@e.example\n"));
    REQUIRE(five.ok());
    CHECK(fired(*five, "CC_MANY"));
    CHECK(!fired(*five, "TO_MANY_ADDRESSES"));
    // Ten shown in To and Cc together: one in To, nine in Cc.
    auto ten = engine->score(
        message("Cc: a1@x.example, a2@x.example, a3@x.example, a4@x.example, "
                "a5@x.example,\n a6@x.example, a7@x.example, a8@x.example, "
                "a9@x.example\n"));
    REQUIRE(ten.ok());
    CHECK(fired(*ten, "TO_MANY_ADDRESSES"));
}

TEST_CASE("three free mail recipients shown to each other fire") {
    DefaultEngine engine;
    auto three = engine->score(
        message("Cc: x1@yahoo.com, x2@hotmail.com, x3@mail.ru\n"));
    REQUIRE(three.ok());
    CHECK(fired(*three, "RCPTS_FREEMAIL_MANY"));
    auto two = engine->score(message("Cc: x1@yahoo.com, x2@hotmail.com\n"));
    REQUIRE(two.ok());
    CHECK(!fired(*two, "RCPTS_FREEMAIL_MANY"));
}

TEST_CASE("a date without a time zone fires date_no_zone") {
    DefaultEngine engine;
    std::string bare = message("");
    bare.replace(bare.find(" +0000"), 6, "");
    auto none = engine->score(bare);
    REQUIRE(none.ok());
    CHECK(fired(*none, "DATE_NO_ZONE"));
    auto zoned = engine->score(message(""));
    REQUIRE(zoned.ok());
    CHECK(!fired(*zoned, "DATE_NO_ZONE"));
    CHECK(zoned->total < 1.0);
}
