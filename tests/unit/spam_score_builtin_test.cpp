// spam-score's built-in tests on messages of our own: the shared spam
// cases (hidden characters, look-alike links, spoofed names, two From
// headers), pictures without text, dates in the future, unparsable mail.
#include "spam_score_fixtures.hpp"

using namespace portcullis;
using namespace portcullis::spam_score;
using namespace portcullis::spam_score::testing;

TEST_CASE("zero-width characters fire their built-in test") {
    DefaultEngine engine;
    auto score = engine->score(read_case("zero-width.eml"));
    REQUIRE(score.ok());
    CHECK(fired(*score, "ZERO_WIDTH_CHARS"));
}

TEST_CASE("a link whose text names another site is a look-alike link") {
    DefaultEngine engine;
    auto score = engine->score(read_case("lookalike-link.eml"));
    REQUIRE(score.ok());
    CHECK(fired(*score, "LOOKALIKE_LINK"));
    auto ham = engine->score(read_case("plain-ham.eml"));
    REQUIRE(ham.ok());
    CHECK(!fired(*ham, "LOOKALIKE_LINK"));
    CHECK(ham->total < 1.0);
}

TEST_CASE("an address of another domain in the display name is a spoof") {
    DefaultEngine engine;
    auto score = engine->score(read_case("displayname-spoof.eml"));
    REQUIRE(score.ok());
    CHECK(fired(*score, "FROM_DISPLAYNAME_SPOOF"));
    CHECK(score->from_address == "ceo.office@mailer.example.org");
}

TEST_CASE("a display name spoofs as well when it is encoded") {
    DefaultEngine engine;
    for (std::string from :
         {"=?utf-8?q?security=40paypal.com?= <evil@evil.example>",
          "=?utf-8?b?c2VjdXJpdHlAcGF5cGFsLmNvbQ==?= <evil@evil.example>",
          "=?utf-8?q?=22security=40paypal=2Ecom=22_=3Cevil=40evil=2Eexample"
          "=3E?=",
          // Broken forms readers show all the same.
          "security@paypal.com <evil@evil.example>",
          "=?utf-8?q?security@paypal.com?= <evil@evil.example>",
          "=?utf-8?q?PayPal service=40paypal.com?= <evil@evil.example>",
          "evil@evil.example (security@paypal.com)"}) {
        auto score = engine->score("From: " + from +
                                   "\r\nTo: you@example.com\r\n"
                                   "Subject: account\r\n\r\nHello.\r\n");
        REQUIRE(score.ok());
        CHECK(fired(*score, "FROM_DISPLAYNAME_SPOOF"));
    }
    for (std::string from :
         {"=?utf-8?q?help=40evil.example?= "
          "<evil@evil.example>",
          "help@evil.example <evil@evil.example>",
          "evil@evil.example (Evil Corp)", "Evil Corp <evil@evil.example>"}) {
        auto own = engine->score("From: " + from + "\r\n\r\nHello.\r\n");
        REQUIRE(own.ok());
        CHECK(!fired(*own, "FROM_DISPLAYNAME_SPOOF"));
    }
}

TEST_CASE("two from headers fire multiple_from") {
    DefaultEngine engine;
    auto score = engine->score(read_case("duplicate-from.eml"));
    REQUIRE(score.ok());
    CHECK(fired(*score, "MULTIPLE_FROM"));
}

TEST_CASE("a picture with next to no text fires html_image_no_text") {
    DefaultEngine engine;
    std::string head = "From: a@b.example\nSubject: hi\n"
                       "Content-Type: text/html\n\n";
    auto picture = engine->score(
        head + "<a href=\"http://shop.example/\"><img "
               "src=\"http://shop.example/offer.gif\"></a> Click!\n");
    REQUIRE(picture.ok());
    CHECK(fired(*picture, "HTML_IMAGE_NO_TEXT"));
    std::string words(300, 'w');
    auto article =
        engine->score(head + "<img src=\"cid:logo\"><p>" + words + "</p>\n");
    REQUIRE(article.ok());
    CHECK(!fired(*article, "HTML_IMAGE_NO_TEXT"));
}

TEST_CASE("two parts of the advance-fee story together are the story") {
    DefaultEngine engine;
    std::string head = "From: a@b.example\nSubject: hello\n\n";
    auto story = engine->score(
        head + "I am Barrister James. My late client, a foreign partner of "
               "the central bank, left you as next of kin.\n");
    REQUIRE(story.ok());
    CHECK(fired(*story, "BODY_ADVANCE_FEE"));
    CHECK(fired(*story, "BODY_419_FUNDS"));
    CHECK(fired(*story, "ADVANCE_FEE_STORY"));
    // One part alone: a bank's letter may name a beneficiary.
    auto letter = engine->score(
        head + "Please confirm the beneficiary of your pension plan.\n");
    REQUIRE(letter.ok());
    CHECK(fired(*letter, "BODY_ADVANCE_FEE"));
    CHECK(!fired(*letter, "ADVANCE_FEE_STORY"));
}

TEST_CASE("a line of random letters alone is a hash buster") {
    DefaultEngine engine;
    std::string head = "From: a@b.example\nSubject: hello\n\n";
    auto buster = engine->score(
        head + "See you there.\r\n\r\ngcoakgwnibgafjecarccjbjiiqllu\r\n");
    REQUIRE(buster.ok());
    CHECK(fired(*buster, "RAW_HASH_BUSTER_LINE"));
    // A long word among others, a link, or capitals are no such line.
    for (std::string line :
         {"the donaudampfschifffahrtsgesellschaft sails",
          "http://example.com/abcdefghijklmnopqrstuvwxyz",
          "QWERTYUIOPASDFGHJKLZXCVBNMQWERTY", "abcdefghijklmnopqrstuvwx"}) {
        auto other = engine->score(head + line + "\n");
        REQUIRE(other.ok());
        CHECK(!fired(*other, "RAW_HASH_BUSTER_LINE"));
    }
}

TEST_CASE("a date hours after the message reached us is in the future") {
    DefaultEngine engine;
    auto message = [](const std::string& date) {
        return "Received: from relay.example by mx.example; "
               "Fri, 13 Sep 2002 22:39:53 -0500\n"
               "Date: " +
               date + "\nFrom: a@b.example\nSubject: hi\n\nHello there.\n";
    };
    // Thirteen hours ahead of the relay's clock, across time zones.
    auto ahead = engine->score(message("Sat, 14 Sep 2002 20:40:00 +0200"));
    REQUIRE(ahead.ok());
    CHECK(fired(*ahead, "DATE_IN_FUTURE_12H"));
    // Eleven hours ahead, or any time behind, is a clock off, not spam.
    auto near = engine->score(message("Sat, 14 Sep 2002 09:39:00 -0500"));
    REQUIRE(near.ok());
    CHECK(!fired(*near, "DATE_IN_FUTURE_12H"));
    auto past = engine->score(message("Mon, 1 Jan 2001 00:00:00 +0000"));
    REQUIRE(past.ok());
    CHECK(!fired(*past, "DATE_IN_FUTURE_12H"));
    auto garbage = engine->score(message("soon"));
    REQUIRE(garbage.ok());
    CHECK(!fired(*garbage, "DATE_IN_FUTURE_12H"));
}

TEST_CASE("a message whose first line is no header field is still scored") {
    TempDir state;
    Options options = options_with(default_rules, state.path);
    options.common.form = filter::OutputForm::headers;
    config::Config config;
    auto engine = open_engine(options, config);
    for (std::string first :
         {">From x@y Mon Jan  1 00:00:00 2024\n", "hello\n", " indented\n"}) {
        stream::Record record;
        record.message = first + "X-Spam-Flag: YES\nFrom: a@b.example\n"
                                 "Subject: hi\n\nhello\n";
        auto outcome = engine->handle(record);
        REQUIRE(outcome.ok());
        CHECK(outcome->verdict.contains("score"));
        CHECK(has_id(outcome->verdict, "MIME_ANOMALY"));
        CHECK(has_id(outcome->verdict, "NO_DATE"));
        CHECK(record.message.starts_with(first + "From: a@b.example\n"));
        CHECK(record.message.find("X-Spam-Flag") == std::string::npos);
        CHECK(record.message.find("\nX-Spam-Status: No, score=") !=
              std::string::npos);
    }
    // With no header at all the text is the body, under headers of ours.
    stream::Record words;
    words.message = "just words\n";
    REQUIRE(engine->handle(words).ok());
    CHECK(words.message.starts_with("X-Spam-Score: "));
    CHECK(words.message.ends_with("\n\njust words\n"));
}

TEST_CASE("a future date without received headers counts from arrival") {
    DefaultEngine engine;
    std::string message = "Date: Sat, 14 Sep 2002 20:40:00 +0000\n"
                          "From: a@b.example\nSubject: hi\n\nHello there.\n";
    auto early =
        engine->score(message, {parse_rfc3339("2002-09-14T08:00:00Z"), {}});
    REQUIRE(early.ok());
    CHECK(fired(*early, "DATE_IN_FUTURE_12H"));
    auto close =
        engine->score(message, {parse_rfc3339("2002-09-14T10:00:00Z"), {}});
    REQUIRE(close.ok());
    CHECK(!fired(*close, "DATE_IN_FUTURE_12H"));
    // With neither a Received header nor an envelope time, now decides.
    CHECK(!fired(*engine->score(message), "DATE_IN_FUTURE_12H"));
    auto future = engine->score(
        "Date: Fri, 1 Jan 2100 00:00:00 +0000\nFrom: a@b.example\n"
        "Subject: hi\n\nHello there.\n");
    REQUIRE(future.ok());
    CHECK(fired(*future, "DATE_IN_FUTURE_12H"));
    CHECK(parse_rfc3339("2002-09-14T10:00:00+02:00") ==
          parse_rfc3339("2002-09-14T08:00:00Z"));
    CHECK(!parse_rfc3339("yesterday"));
}

TEST_CASE("the relay that handed a message in is judged by its names") {
    DefaultEngine engine;
    auto message = [](const std::string& from_clause) {
        return "Received: from localhost (localhost [127.0.0.1]) by "
               "mx.example.org; Fri, 13 Sep 2002 22:39:53 -0500\n"
               "Received: from " +
               from_clause +
               " by mx.example.org; Fri, 13 Sep 2002 22:39:50 -0500\n"
               "From: a@b.example\nSubject: hi\n\nHello there.\n";
    };
    auto names = [&](const std::string& text, const Arrival& arrival = {}) {
        auto score = engine->score(text, arrival);
        REQUIRE(score.ok());
        std::string out;
        for (const char* name :
             {"RDNS_NONE", "RDNS_DYNAMIC", "HELO_DYNAMIC", "HELO_NOT_FQDN"})
            if (fired(*score, name))
                out += std::string(out.empty() ? "" : " ") + name;
        return out;
    };
    CHECK(names(message("mail.sender.example (mail.sender.example "
                        "[203.0.113.5])")) == "");
    CHECK(names(message("pc7 (unknown [203.0.113.9])")) ==
          "RDNS_NONE HELO_NOT_FQDN");
    CHECK(names(message("[203.0.113.9] (203-0-113-9.dsl.isp.example "
                        "[203.0.113.9])")) == "RDNS_DYNAMIC HELO_NOT_FQDN");
    CHECK(names(message("ppp9.dialup.isp.example (ppp9.dialup.isp.example "
                        "[203.0.113.9])")) == "RDNS_DYNAMIC HELO_DYNAMIC");
    // Only our own hops: nothing to judge.
    CHECK(names("Received: from localhost (localhost [127.0.0.1]) by mx; "
                "Fri, 13 Sep 2002 22:39:53 -0500\nSubject: hi\n\nHi.\n") == "");
    // The envelope's client, when the front end looked its name up, is
    // judged instead of the Received headers.
    Arrival arrival;
    arrival.client = received::Relay{"203.0.113.9", "", "pc7"};
    CHECK(names(message("mail.sender.example (mail.sender.example "
                        "[203.0.113.5])"),
                arrival) == "RDNS_NONE HELO_NOT_FQDN");
}
