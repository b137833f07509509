// Perl patterns turned into RE2's: what fires must be what fires in
// SpamAssassin 4.0.1 on Perl 5.36 (each case here was run through both),
// and what RE2 cannot mean the same is refused with a reason.
#include "spam_score_fixtures.hpp"
#include "spam_score_rules_regex.hpp"

using namespace portcullis;
using namespace portcullis::spam_score;
using namespace portcullis::spam_score::testing;

using Names = std::vector<std::string>;

TEST_CASE("perl's {,n} is a quantifier where one may stand") {
    CHECK(*translate_regex("ok{,3}word", false, Anchors::text) ==
          "ok{0,3}word");
    CHECK(*translate_regex("a{ 2 , 3 }b{ 4 }c{5 ,}", false, Anchors::text) ==
          "a{2,3}b{4}c{5,}");
    // In a class, escaped, with nothing before it or nothing in it, a
    // brace is a literal in Perl, and stays one.
    CHECK(*translate_regex("[{,3}]", false, Anchors::text) == "[\\{\\,3\\}]");
    CHECK(*translate_regex("\\{,3}", false, Anchors::text) == "\\{,3}");
    CHECK(*translate_regex("{,3}x{,}", false, Anchors::text) == "\\{,3}x\\{,}");
    CHECK(translate_regex("x{2}{3}", false, Anchors::text).error().message ==
          "nested quantifiers");

    RuleSet rules = rules_from("body Q /ok{,3}word/\n");
    CHECK(rules.problems().empty());
    CHECK(fired_on(rules, body_view({"s", "okkkword"})) == Names{"Q"});
    CHECK(fired_on(rules, body_view({"s", "owords"})) == Names{"Q"});
    CHECK(fired_on(rules, body_view({"s", "okkkkword"})).empty());
    CHECK(fired_on(rules, body_view({"s", "ok{,3}word"})).empty());
}

TEST_CASE("high byte escapes match bytes in every text") {
    RuleSet rules = rules_from("full FULL8 /[\\x80-\\xff]/\n"
                               "header SUBJ8 Subject:raw =~ /[\\x80-\\xff]/\n"
                               "header SUBJD0 Subject:raw =~ /\\xd0/\n"
                               "body BODYD0 /^\\xd0\\x9f.\\x80/\n"
                               "header DECODED Subject =~ /\\xd0\\x9f/\n");
    REQUIRE(rules.problems().empty());
    MessageView utf8 = body_view({"\xd0\x9f\xd1\x80\xd0\xb8"});
    utf8.full = "Subject: \xd0\x9f\xd1\x80\xd0\xb8\n\nhi\n";
    utf8.headers["subject:raw"] = "\xd0\x9f\xd1\x80\xd0\xb8";
    utf8.headers["subject"] = "\xd0\x9f\xd1\x80\xd0\xb8";
    CHECK(fired_on(rules, utf8) ==
          Names{"BODYD0", "DECODED", "FULL8", "SUBJ8", "SUBJD0"});
    // Latin-1 bytes, which are no UTF-8.
    MessageView latin1;
    latin1.full = "Subject: caf\xe9\n\nhi\n";
    latin1.headers["subject:raw"] = "caf\xe9";
    CHECK(fired_on(rules, latin1) == Names{"FULL8", "SUBJ8"});
    MessageView ascii;
    ascii.full = "Subject: cafe\n\nhi\n";
    ascii.headers["subject:raw"] = "cafe";
    CHECK(fired_on(rules, ascii).empty());
}

TEST_CASE("a dot is one byte, as in perl on spamassassin's texts") {
    // П is d0 9f, р is d1 80: the dot takes d1 alone.
    RuleSet rules = rules_from("body ONE /\\xd0\\x9f.\\x80/\n"
                               "body CHAR /\\xd0\\x9f.\\xd0\\xb8/\n");
    CHECK(fired_on(rules, body_view({"\xd0\x9f\xd1\x80\xd0\xb8"})) ==
          Names{"ONE"});
}

TEST_CASE("case folding leaves bytes over x7f alone, as perl does") {
    RuleSet rules = rules_from("body LOWER /\\xe0/i\n"
                               "body RANGE /[\\xe0-\\xef]/i\n"
                               "body WORD /\\xd0\\xbf\\xd1\\x80\\xd0\\xb8/i\n"
                               "body ASCII /caf\\xe9/i\n");
    REQUIRE(rules.problems().empty());
    // À is c0, à is e0 in Latin-1; RE2 alone would fold them.
    CHECK(fired_on(rules, body_view({"\xc0"})).empty());
    // пр and Пр differ in their second byte: no fold in Perl either.
    CHECK(fired_on(rules, body_view({"\xd0\x9f\xd1\x80\xd0\xb8"})).empty());
    CHECK(fired_on(rules, body_view({"\xd0\xbf\xd1\x80\xd0\xb8"})) ==
          Names{"WORD"});
    CHECK(fired_on(rules, body_view({"CAF\xe9 \xe0"})) ==
          Names{"ASCII", "LOWER", "RANGE"});
}

TEST_CASE("a case-insensitive class with high bytes folds only ascii") {
    // SpamAssassin's __DRUGS_ERECTILE1 writes [a40\xE0-\xE6@] under /i.
    RuleSet rules = rules_from("body A_LIKE /x[a40\\xE0-\\xE6@]y/i\n"
                               "body NOT_A /x[^a\\xe0]y/i\n");
    REQUIRE(rules.problems().empty());
    CHECK(fired_on(rules, body_view({"xay"})) == Names{"A_LIKE"});
    CHECK(fired_on(rules, body_view({"XAY"})) == Names{"A_LIKE"});
    CHECK(fired_on(rules, body_view({"x\xe3y"})) == Names{"A_LIKE", "NOT_A"});
    // \xc0 is À, which RE2's Latin-1 folding would take for à (\xe0).
    CHECK(fired_on(rules, body_view({"x\xc0y"})) == Names{"NOT_A"});
    CHECK(*translate_regex("[a-cX\\xe0]", true, Anchors::text) ==
          "(?-i:[a-cX\\xe0A-Cx])");
}

TEST_CASE("inline case flags fold only where they are in force") {
    RuleSet rules = rules_from("body SCOPED /[a\\xe0](?i:x)/\n"
                               "body INLINE /(?i)[a\\xe0]y/\n"
                               "body OFF /(?i)(?-i:[a\\xe0])z/\n");
    REQUIRE(rules.problems().empty());
    CHECK(fired_on(rules, body_view({"aX"})) == Names{"SCOPED"});
    CHECK(fired_on(rules, body_view({"Ax"})).empty());
    CHECK(fired_on(rules, body_view({"AY"})) == Names{"INLINE"});
    CHECK(fired_on(rules, body_view({"\xc0y"})).empty());
    CHECK(fired_on(rules, body_view({"az Az"})) == Names{"OFF"});
    CHECK(*translate_regex("(?i)[a\\xe0](?-i)[b\\xe0]", false, Anchors::text) ==
          "(?i)(?-i:[a\\xe0A])(?-i)[b\\xe0]");
}

TEST_CASE("class members above xff are left out, as perl never matches them") {
    // SpamAssassin's __BTC_OBFU_4 writes [i\x{0456}] for a Cyrillic i.
    RuleSet rules = rules_from("body BTC /b[i\\x{0456}]t/i\n"
                               "body ANY /b[^\\x{0456}]t/\n");
    REQUIRE(rules.problems().empty());
    CHECK(fired_on(rules, body_view({"bit"})) == Names{"ANY", "BTC"});
    CHECK(fired_on(rules, body_view({"BIT"})) == Names{"BTC"});
    CHECK(fired_on(rules, body_view({"b\xd1\x96t"})).empty());
    CHECK(fired_on(rules, body_view({"b\xd1t"})) == Names{"ANY"});
}

TEST_CASE("octal codes and back-references are told apart as perl does") {
    // SpamAssassin's WEIRD_QUOTING writes [\042\223\224] for quotes.
    CHECK(*translate_regex("[\\042\\223]\\0\\012", false, Anchors::text) ==
          "[\\x22\\x93]\\x00\\x0a");
    // With fewer groups open than its number, \12 is octal 012.
    CHECK(*translate_regex("(a)\\12", false, Anchors::text) == "(a)\\x0a");
    std::string twelve = "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(?<l>m)\\12";
    CHECK(translate_regex(twelve, false, Anchors::text).error().message ==
          "\\12 is a back-reference, which RE2 cannot run");
}

TEST_CASE("patterns no byte match can mean are refused with a reason") {
    RuleSet rules = rules_from("body SMILE /\\x{263a}/\n"
                               "body CYRILLIC /[\\x{400}-\\x{4ff}]/\n"
                               "body PROPERTY /[\\p{L}\\xe0]/i\n"
                               "body ANYBYTE /a\\Cb/\n"
                               "body BACKREF /(a)\\1/\n"
                               "body PLAIN /[\\p{L}\\xe0]/\n");
    auto lines = problem_lines(rules);
    REQUIRE(lines.size() == 5);
    CHECK(lines[0] == "t.cf:1: SMILE: \\x{263a} is above \\xff: rules match "
                      "bytes, so write the character's UTF-8 bytes");
    CHECK(lines[1] == "t.cf:2: CYRILLIC: a character class holds only "
                      "characters above \\xff, which never match a byte");
    CHECK(lines[2] == "t.cf:3: PROPERTY: a case-insensitive character class "
                      "with bytes over \\x7f and \\p or [:upper:] is not "
                      "supported");
    CHECK(lines[3] == "t.cf:4: ANYBYTE: \\C is not supported");
    CHECK(lines[4].rfind("t.cf:5: BACKREF: RE2 cannot run this pattern: ", 0) ==
          0);
    CHECK(rules.find("PLAIN") != nullptr);
    CHECK(rules.size() == 1);
}

TEST_CASE("escapes perl and re2 write differently are rewritten") {
    CHECK(*translate_regex("\\x4\\x\\012\\", false, Anchors::text) ==
          "\\x04\\x00\\x0a\\");
    // SpamAssassin refuses \Q and \E in a rule's pattern: Perl reads them
    // only in strings (break test: spam-score made them literals).
    CHECK(translate_regex("\\Qa.b\\E", false, Anchors::text).error().message ==
          "\\Q is not read in a pattern: SpamAssassin refuses it too; "
          "escape each character instead");
    CHECK(!translate_regex("x\\E", false, Anchors::text).ok());
    CHECK(*translate_regex("a(?#note)b\\p{L}{2}", false, Anchors::text) ==
          "ab\\p{L}{2}");
    CHECK(*translate_regex("\\e[\\e-\\x20]", false, Anchors::text) ==
          "\\x1b[\\x1b-\\x20]");
    CHECK(*translate_regex("^a$|\\Ab\\Z", false, Anchors::paragraph) ==
          "\\Aa(?m:$)|\\Ab(?m:$)");
    CHECK(*translate_regex("^a$", false, Anchors::text) == "^a$");
}
