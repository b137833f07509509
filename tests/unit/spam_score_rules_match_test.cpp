// How rules read a message: body rules one paragraph at a time, the
// subject first, as SpamAssassin does; tflags multiple counting matches
// for meta rules. Expected hits were checked against SpamAssassin 4.0.1.
#include "spam_score_fixtures.hpp"

using namespace portcullis;
using namespace portcullis::spam_score;
using namespace portcullis::spam_score::testing;

using Names = std::vector<std::string>;

namespace {

const char* paragraphs_message =
    "From: x@y.example\n"
    "To: z@w.example\n"
    "Subject: s\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "Hi Bob\n"
    "line two\n"
    "\n"
    "Second para okword okword\n"
    "\n"
    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 okword\n";

const char* paragraph_rules = "body CARET /^Hi Bob/\n"
                              "body SECOND /^Second para/\n"
                              "body SECOND_M /^Second para/m\n"
                              "body SUBJECT /^s$/\n"
                              "body LINE_END /two$/\n"
                              "body NEWLINE_END /okword\\n/\n"
                              "body SPACE_END /two\\s/\n"
                              "body VERY_END /two\\z/\n"
                              "body ACROSS /okword\\s+\\xd0/\n"
                              "body JOINED /Bob line two/\n"
                              "body NOSUBJECT /^s$/\n"
                              "tflags NOSUBJECT nosubject\n";

} // namespace

TEST_CASE("body rules match each paragraph on its own, subject first") {
    TempDir dir;
    write_files(dir, {{"rules/t.cf", paragraph_rules}});
    RulesEngine engine(dir);
    auto score = engine->score(paragraphs_message);
    REQUIRE(score.ok());
    Names names;
    for (const Hit& hit : score->hits)
        names.push_back(hit.name);
    std::sort(names.begin(), names.end());
    CHECK(names == Names{"CARET", "JOINED", "LINE_END", "NEWLINE_END", "SECOND",
                         "SECOND_M", "SPACE_END", "SUBJECT"});
}

TEST_CASE("a meta rule reads how often a tflags multiple rule matched") {
    std::string rules_text = "body __W /okword/\n"
                             "tflags __W multiple maxhits=5\n"
                             "meta MANY __W > 2\n"
                             "meta FEW __W < 2 && __W\n"
                             "meta THREE __W == 3\n"
                             "body __ONCE /okword/\n"
                             "meta ONCE_MANY __ONCE > 1\n";
    RuleSet rules = rules_from(rules_text);
    REQUIRE(rules.problems().empty());
    // Three matches over two paragraphs.
    MessageView three = body_view({"s", "okword okword", "okword"});
    CHECK(fired_on(rules, three) == Names{"MANY", "THREE"});
    MessageView one = body_view({"s", "okword"});
    CHECK(fired_on(rules, one) == Names{"FEW"});
    // Counting stops at maxhits, as SpamAssassin's does.
    RuleSet capped = rules_from("body __W /o/\ntflags __W multiple maxhits=2\n"
                                "meta CAPPED __W == 2\nmeta OVER __W > 2\n");
    CHECK(fired_on(capped, body_view({"s", "oooo"})) == Names{"CAPPED"});
}

TEST_CASE("multiple counts matches in headers, uris and raw texts") {
    RuleSet rules = rules_from("header __TO To =~ /@/\n"
                               "tflags __TO multiple\n"
                               "uri __HTTP /^http:/\n"
                               "tflags __HTTP multiple\n"
                               "rawbody __P /<p>/i\n"
                               "tflags __P multiple\n"
                               "full __RCVD /^Received:/m\n"
                               "tflags __RCVD multiple\n"
                               "meta TWO_TO __TO == 2\n"
                               "meta THREE_HTTP __HTTP == 3\n"
                               "meta FOUR_P __P == 4\n"
                               "meta TWO_RCVD __RCVD == 2\n");
    REQUIRE(rules.problems().empty());
    MessageView view;
    view.headers["to"] = "a@x.example, b@y.example";
    view.uris = {"http://a.example/", "http://b.example/", "https://c.example/",
                 "http://d.example/"};
    view.rawbody = "<p>a<P>b\n<p>c<p>";
    view.full = "Received: a\nReceived: b\nSubject: Received:\n\nx\n";
    CHECK(fired_on(rules, view) ==
          Names{"FOUR_P", "THREE_HTTP", "TWO_RCVD", "TWO_TO"});
}

TEST_CASE("an empty match counts once and the search moves on a byte") {
    RuleSet rules = rules_from("body __E /x*/\ntflags __E multiple\n"
                               "meta FOUR __E == 4\n");
    // "ab" and its "\n": at 0, 1, 2 and the end, as Perl's /g counts.
    CHECK(fired_on(rules, body_view({"ab"})) == Names{"FOUR"});
}

TEST_CASE("a rule without a score scores as spamassassin's would") {
    RuleSet rules = rules_from("body PLAIN /a/\n"
                               "body T_TRIAL /a/\n"
                               "body NICE /a/\n"
                               "tflags NICE nice\n"
                               "body NICE_SCORED /a/\n"
                               "tflags NICE_SCORED nice\n"
                               "score NICE_SCORED 2\n"
                               "body __SUB /a/\n");
    std::map<std::string, double> scores;
    for (const Hit& hit : rules.match(body_view({"s", "a"}), {}))
        scores[hit.name] = hit.score;
    CHECK(scores == std::map<std::string, double>{{"NICE", -1.0},
                                                  {"NICE_SCORED", 2.0},
                                                  {"PLAIN", 1.0},
                                                  {"T_TRIAL", 0.01}});
}
