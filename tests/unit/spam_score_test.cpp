// spam-score end to end without a process: exact scores of hand-made
// messages, rules RE2 cannot run, the built-in tests on the shared spam
// cases, learning and forgetting in a real SQLite file, and thresholds
// that a lower level may or may not change.
#include "core/sqlite_store.hpp"
#include "core/token_table.hpp"
#include "spam_score.hpp"
#include "spam_score_analysis.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace portcullis;
using namespace portcullis::spam_score;

namespace {

const std::string cases = std::string(PORTCULLIS_TEST_DIR) + "/spam-score/";
const std::string default_rules =
    std::string(PORTCULLIS_TEST_DIR) + "/../share/rules";

std::string read_case(const std::string& name) {
    std::ifstream in(cases + name, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

// A fresh folder, removed at scope end.
struct TempDir {
    std::string path;
    TempDir() {
        char name[] = "/tmp/spam-score-test-XXXXXX";
        REQUIRE(::mkdtemp(name) != nullptr);
        path = name;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

std::unique_ptr<Engine> open_engine(const Options& options,
                                    const config::Config& config) {
    auto engine = Engine::open(options, config);
    REQUIRE(engine.ok());
    return std::move(*engine);
}

Options options_with(const std::string& rules, const std::string& state) {
    Options options;
    options.rules_dir = rules;
    options.common.state_dir = state;
    return options;
}

bool fired(const Score& score, const std::string& name) {
    for (const Hit& hit : score.hits)
        if (hit.name == name)
            return true;
    return false;
}

} // namespace

TEST_CASE("a hand-made message scores exactly the sum of its rules") {
    TempDir state;
    Options options = options_with(cases + "rules", state.path);
    config::Config config;
    auto engine = open_engine(options, config);
    auto score = engine->score(read_case("click.eml"));
    REQUIRE(score.ok());
    CHECK(score->total == Approx(4.625).margin(1e-9));
    REQUIRE(score->hits.size() == 5);
    CHECK(score->hits[0].name == "T_URI_BIZ");
    CHECK(score->hits[0].score == 2.0);
    CHECK(score->hits[1].name == "T_CLICK");
    CHECK(score->hits[1].description == "Asks to click");
    CHECK(fired(*score, "T_META"));
    CHECK(fired(*score, "T_SUBJ_CAPS"));
    CHECK(fired(*score, "T_FULL"));
}

TEST_CASE("a meta rule does not fire when its negated part is present") {
    TempDir state;
    Options options = options_with(cases + "rules", state.path);
    config::Config config;
    auto engine = open_engine(options, config);
    std::string message = read_case("click.eml");
    message.insert(0, "X-Mailer: Test 1.0\n");
    auto score = engine->score(message);
    REQUIRE(score.ok());
    CHECK(!fired(*score, "T_META"));
    CHECK(score->total == Approx(3.875).margin(1e-9));
}

TEST_CASE("rules re2 cannot run are reported with file and line") {
    RuleSet rules;
    rules.load_path(cases + "rules/test.cf");
    rules.compile();
    REQUIRE(rules.problems().size() == 2);
    CHECK(rules.problems()[0].where == cases + "rules/test.cf:14");
    CHECK(rules.problems()[0].message ==
          "T_EVAL: eval rules are not supported");
    CHECK(rules.problems()[1].where == cases + "rules/test.cf:12");
    CHECK(rules.problems()[1].message.rfind(
              "T_LOOKAHEAD: RE2 cannot run this pattern: ", 0) == 0);
    CHECK(rules.find("T_LOOKAHEAD") != nullptr);
    CHECK(rules.size() == 6);
}

TEST_CASE("spamassassin regex syntax is read with its flags") {
    RuleSet rules;
    rules.load_text("body A m{fr\\s*ee}i\n"
                    "body B /a b c/x\n"
                    "score A 1 2 3.5 4\n"
                    "header C From:addr =~ /\\@evil\\.example$/\n",
                    "inline.cf");
    rules.compile();
    CHECK(rules.problems().empty());
    MessageView view;
    view.body = "FR EE abc";
    view.headers["from:addr"] = "x@evil.example";
    auto hits = rules.match(view, {});
    REQUIRE(hits.size() == 3);
    CHECK(hits[0].name == "A");
    CHECK(hits[0].score == 3.5); // the Bayes-on, network-off score set
}

TEST_CASE("a comment may end a rule line and \\# is a literal hash") {
    RuleSet rules;
    rules.load_text("body A /colou?r=\\#ff0000/ # red text\n"
                    "meta B A # obsolete\n"
                    "score B 2.5 # was 3\n",
                    "inline.cf");
    rules.compile();
    CHECK(rules.problems().empty());
    MessageView view;
    view.body = "color=#ff0000";
    auto hits = rules.match(view, {});
    REQUIRE(hits.size() == 2);
    CHECK(hits[0].name == "B"); // the highest score first
    CHECK(hits[0].score == 2.5);
}

TEST_CASE("if and ifplugin blocks are read as spamassassin 4.0 reads them") {
    RuleSet rules;
    rules.load_text("ifplugin Mail::SpamAssassin::Plugin::FreeMail\n"
                    "header A eval:check_freemail_replyto()\n"
                    "endif\n"
                    "if (version >= 3.004000)\n"
                    "body B /new/\n"
                    "else\n"
                    "body B /old/\n"
                    "endif\n"
                    "if !plugin(Mail::SpamAssassin::Plugin::DKIM)\n"
                    "body C /nodkim/\n"
                    "endif\n"
                    "if can(Mail::SpamAssassin::Conf::feature_x) && 1\n"
                    "body D /feature/\n"
                    "endif\n",
                    "sa.cf");
    rules.compile();
    CHECK(rules.problems().empty()); // the eval rule was never read
    CHECK(rules.find("A") == nullptr);
    CHECK(rules.find("D") == nullptr);
    MessageView view;
    view.body = "new old nodkim feature";
    auto hits = rules.match(view, {});
    REQUIRE(hits.size() == 2);
    CHECK(hits[0].name == "B");
    CHECK(hits[1].name == "C");
}

TEST_CASE("a broken if block is reported and ends with its file") {
    RuleSet rules;
    rules.load_text("endif\nif (version >=)\nbody A /a/\n", "bad.cf");
    rules.load_text("body B /b/\n", "next.cf");
    rules.compile();
    REQUIRE(rules.problems().size() == 3);
    CHECK(rules.problems()[0].where == "bad.cf:1");
    CHECK(rules.problems()[0].message == "endif without an if");
    CHECK(rules.problems()[1].where == "bad.cf:2");
    CHECK(rules.problems()[1].message ==
          "an if line compares version with no number");
    CHECK(rules.problems()[2].message ==
          "1 if or ifplugin block(s) not closed by endif");
    CHECK(rules.find("A") == nullptr);
    CHECK(rules.find("B") != nullptr);
}

TEST_CASE("an unknown directive is reported once with its line count") {
    RuleSet rules;
    rules.load_text("freemail_domains a.example\n"
                    "freemail_domains b.example\n"
                    "freemail_domains c.example\n"
                    "frobnicate yes\n",
                    "sa.cf");
    rules.compile();
    REQUIRE(rules.problems().size() == 2);
    CHECK(rules.problems()[0].where == "sa.cf:1");
    CHECK(rules.problems()[0].message ==
          "unknown directive \"freemail_domains\" ignored here and on 2 "
          "more lines");
    CHECK(rules.problems()[1].where == "sa.cf:4");
    CHECK(rules.problems()[1].message ==
          "unknown directive \"frobnicate\" ignored");
}

TEST_CASE("zero-width characters fire their built-in test") {
    TempDir state;
    Options options = options_with(default_rules, state.path);
    config::Config config;
    auto engine = open_engine(options, config);
    auto score = engine->score(read_case("zero-width.eml"));
    REQUIRE(score.ok());
    CHECK(fired(*score, "ZERO_WIDTH_CHARS"));
}

TEST_CASE("a link whose text names another site is a look-alike link") {
    TempDir state;
    Options options = options_with(default_rules, state.path);
    config::Config config;
    auto engine = open_engine(options, config);
    auto score = engine->score(read_case("lookalike-link.eml"));
    REQUIRE(score.ok());
    CHECK(fired(*score, "LOOKALIKE_LINK"));
    auto ham = engine->score(read_case("plain-ham.eml"));
    REQUIRE(ham.ok());
    CHECK(!fired(*ham, "LOOKALIKE_LINK"));
    CHECK(ham->total < 1.0);
}

TEST_CASE("an address of another domain in the display name is a spoof") {
    TempDir state;
    Options options = options_with(default_rules, state.path);
    config::Config config;
    auto engine = open_engine(options, config);
    auto score = engine->score(read_case("displayname-spoof.eml"));
    REQUIRE(score.ok());
    CHECK(fired(*score, "FROM_DISPLAYNAME_SPOOF"));
    CHECK(score->from_address == "ceo.office@mailer.example.org");
}

TEST_CASE("two from headers fire multiple_from") {
    TempDir state;
    Options options = options_with(default_rules, state.path);
    config::Config config;
    auto engine = open_engine(options, config);
    auto score = engine->score(read_case("duplicate-from.eml"));
    REQUIRE(score.ok());
    CHECK(fired(*score, "MULTIPLE_FROM"));
}

TEST_CASE("learning a message twice counts once and forgetting undoes it") {
    TempDir state;
    auto store = state::SqliteStore::open(state.path + "/s.sqlite", false);
    REQUIRE(store.ok());
    std::vector<uint64_t> tokens = {1, 2, 3};
    REQUIRE((*store)->learn("d1", true, tokens).ok());
    auto before = (*store)->learned_as("d1");
    REQUIRE(before.ok());
    CHECK(before->value_or(false));
    auto counts = (*store)->lookup(std::vector<uint64_t>{2, 9});
    REQUIRE(counts.ok());
    CHECK((*counts)[0].spam == 1);
    CHECK((*counts)[1].spam == 0);
    REQUIRE((*store)->unlearn("d1", true, tokens).ok());
    auto totals = (*store)->totals();
    REQUIRE(totals.ok());
    CHECK(totals->spam == 0);
    CHECK(!(*(*store)->learned_as("d1")).has_value());
}

TEST_CASE("the token table finds what was set and zero for the rest") {
    state::TokenTable table;
    for (uint64_t token = 0; token < 5000; ++token)
        table.set(token * 0x100000000ull, {static_cast<uint32_t>(token), 1});
    table.set(7 * 0x100000000ull, {70, 2});
    CHECK(table.find(0).spam == 0);
    CHECK(table.find(0).ham == 1);
    CHECK(table.find(7 * 0x100000000ull).spam == 70);
    CHECK(table.find(4999 * 0x100000000ull).spam == 4999);
    CHECK(table.find(5000 * 0x100000000ull).ham == 0);
    CHECK(table.find(12345).ham == 0);
}

TEST_CASE("token hashes are the hashes of the token strings") {
    auto analysis =
        analyse(read_case("lookalike-link.eml"), Limits{}, 512 * 1024);
    REQUIRE(analysis.ok());
    const Analysis& a = *analysis;
    std::vector<uint64_t> expected;
    for (const std::string& token :
         tokenize(a.tree, a.decoded_headers, a.text, a.uris))
        expected.push_back(token_hash(token));
    std::sort(expected.begin(), expected.end());
    expected.erase(std::unique(expected.begin(), expected.end()),
                   expected.end());
    CHECK(token_hashes(a.tree, a.decoded_headers, a.text, a.uris) == expected);
    CHECK(expected.size() > 20);
}

TEST_CASE("learn through the tool counts a repeated message once") {
    TempDir state;
    Options options = options_with(default_rules, state.path);
    options.common.inputs = {cases + "plain-ham.eml", cases + "plain-ham.eml"};
    config::Config config;
    LearnOptions learn_options;
    learn_options.ham = true;
    CHECK(learn(options, config, learn_options) == ExitCode::ok);
    auto store =
        state::SqliteStore::open(state.path + "/spam-score.sqlite", true);
    REQUIRE(store.ok());
    auto totals = (*store)->totals();
    REQUIRE(totals.ok());
    CHECK(totals->ham == 1);

    learn_options.forget = true;
    CHECK(learn(options, config, learn_options) == ExitCode::ok);
    CHECK((*store)->totals()->ham == 0);
}

TEST_CASE("a reported spam is recognised in a later variant") {
    TempDir state;
    Options options = options_with(default_rules, state.path);
    std::string spam =
        "From: a@example.biz\nSubject: offer 1\n\nDear friend, we offer "
        "the best prices on watches and bags from our warehouse in the city, "
        "order today and pay only 19 dollars for shipping to your door, "
        "visit our shop and see the new collection of the season now.\n";
    std::string variant = spam;
    variant.replace(variant.find("19"), 2, "27");
    variant.replace(variant.find("offer 1"), 7, "offer 2");
    std::ofstream(state.path + "/spam.eml") << spam;
    options.common.inputs = {state.path + "/spam.eml"};
    config::Config config;
    LearnOptions learn_options;
    learn_options.spam = true;
    REQUIRE(learn(options, config, learn_options) == ExitCode::ok);

    auto engine = open_engine(options, config);
    auto score = engine->score(variant);
    REQUIRE(score.ok());
    REQUIRE(score->fuzzy.has_value());
    CHECK(score->fuzzy->similarity >= 0.5);

    learn_options.spam = false;
    learn_options.ham = true;
    REQUIRE(learn(options, config, learn_options) == ExitCode::ok);
    auto after = open_engine(options, config)->score(variant);
    REQUIRE(after.ok());
    CHECK(!after->fuzzy.has_value());
}

TEST_CASE("bands pick the most severe action a score reaches") {
    Bands bands;
    bands.tag = 5;
    bands.quarantine = 10;
    bands.reject = 20;
    CHECK(band_action(bands, 4.9) == verdict::Action::pass);
    CHECK(band_action(bands, 5.0) == verdict::Action::tag);
    CHECK(band_action(bands, 12) == verdict::Action::quarantine);
    CHECK(band_action(bands, 25) == verdict::Action::reject);
}

TEST_CASE("x-spam headers are written as spamassassin writes them") {
    Score score;
    score.total = 7.25;
    score.hits = {{"BAYES_99", 4.0, ""}, {"BODY_PHARMA", 1.5, ""}};
    auto headers = spam_headers(score, 5.0, true);
    REQUIRE(headers.size() == 4);
    CHECK(headers[0].second == "YES");
    CHECK(headers[1].second == "7.2");
    CHECK(headers[2].second == "*******");
    CHECK(headers[3].second ==
          "Yes, score=7.2 required=5.0 "
          "tests=BAYES_99,BODY_PHARMA\n\tversion=portcullis-" +
              std::string(PORTCULLIS_VERSION));
}

TEST_CASE("a forged x-spam-flag is removed and the subject is tagged") {
    std::string message = "X-Spam-Flag: NO\nX-Spam-Status: No,\n tests=none\n"
                          "Subject: hello\n\nbody\n";
    std::string clean = strip_spam_headers(message);
    CHECK(clean == "Subject: hello\n\nbody\n");
    CHECK(tag_subject(clean, "[SPAM]") == "Subject: [SPAM] hello\n\nbody\n");
}

TEST_CASE("a user cannot loosen a locked spam threshold") {
    TempDir dir;
    std::filesystem::create_directory(dir.path + "/domains");
    std::ofstream(dir.path + "/portcullis.toml")
        << "[spam-score]\nthresholds.tag = 3.0\nthresholds.reject = 4.0\n"
           "locked = [\"thresholds.reject\"]\n"
           "allow_looser = [\"thresholds.tag\"]\n";
    std::ofstream(dir.path + "/domains/example.net.toml")
        << "[spam-score]\nthresholds.tag = 2.0\n"
           "allow_looser = [\"thresholds.tag\"]\n"
           "[users.\"bob@example.net\".spam-score]\n"
           "thresholds.tag = 100.0\nthresholds.reject = 100.0\n"
           "[users.\"carol@example.net\".spam-score]\n"
           "thresholds.tag = 100.0\n";
    auto config = config::load(dir.path + "/portcullis.toml", true);
    REQUIRE(config.ok());
    Options options = options_with(cases + "rules", dir.path + "/state");
    options.common.form = filter::OutputForm::json;
    auto engine = open_engine(options, *config);

    stream::Record record;
    record.message = read_case("click.eml"); // scores 4.625
    record.envelope["rcpt"] = {"bob@example.net", "carol@example.net",
                               "dave@example.org"};
    auto outcome = engine->handle(record);
    REQUIRE(outcome.ok());
    const auto& verdict = outcome->verdict;
    CHECK(verdict["action"] == "reject");
    // No recipient differs from the message: every one is rejected.
    // Bob's looser reject threshold is refused: it is locked; Carol may
    // loosen her tag threshold, but reject still applies.
    CHECK(!verdict.contains("rcpt"));
}

TEST_CASE("a user may loosen a spam threshold the level above allows") {
    TempDir dir;
    std::filesystem::create_directory(dir.path + "/domains");
    std::ofstream(dir.path + "/portcullis.toml")
        << "[spam-score]\nthresholds.tag = 4.0\n"
           "allow_looser = [\"thresholds.tag\"]\n";
    std::ofstream(dir.path + "/domains/example.net.toml")
        << "[spam-score]\nallow_looser = [\"thresholds.tag\"]\n"
           "[users.\"carol@example.net\".spam-score]\n"
           "thresholds.tag = 10.0\n"
           "[users.\"erin@example.net\".spam-score]\n"
           "thresholds.tag = 1.0\n";
    auto config = config::load(dir.path + "/portcullis.toml", true);
    REQUIRE(config.ok());
    Options options = options_with(cases + "rules", dir.path + "/state");
    options.common.form = filter::OutputForm::json;
    auto engine = open_engine(options, *config);

    stream::Record record;
    record.message = read_case("click.eml");
    record.envelope["rcpt"] = {"carol@example.net", "erin@example.net"};
    auto outcome = engine->handle(record);
    REQUIRE(outcome.ok());
    const auto& verdict = outcome->verdict;
    CHECK(verdict["action"] == "tag");
    CHECK(verdict["rcpt"]["carol@example.net"]["action"] == "pass");
    CHECK(!verdict["rcpt"].contains("erin@example.net"));
}

TEST_CASE("a blocked sender is judged spam and an allowed one is not") {
    TempDir dir;
    std::ofstream(dir.path + "/portcullis.toml")
        << "[spam-score]\nblock_senders = [\"example.biz\"]\n";
    auto config = config::load(dir.path + "/portcullis.toml", true);
    REQUIRE(config.ok());
    Options options = options_with(cases + "rules", dir.path + "/state");
    options.common.form = filter::OutputForm::json;
    auto engine = open_engine(options, *config);
    stream::Record record;
    record.message = read_case("click.eml");
    auto outcome = engine->handle(record);
    REQUIRE(outcome.ok());
    CHECK(outcome->verdict["action"] == "tag");
    CHECK(outcome->verdict["reasons"][0]["id"] == "BLOCKLISTED");
}

TEST_CASE("bayes tokens name html tags and how text is styled") {
    auto analysis = analyse("From: a@b.example\nSubject: x\n"
                            "Content-Type: text/html\n\n"
                            "<p><FONT color=\"#FF0000\" size=+2>Buy now</font> "
                            "<a href=\"http://shop.example/x\">here</a></p>\n",
                            Limits{}, 1 << 20);
    REQUIRE(analysis.ok());
    auto tokens = tokenize(analysis->tree, analysis->decoded_headers,
                           analysis->text, analysis->uris);
    auto has = [&](const std::string& token) {
        return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
    };
    CHECK(has("T:p"));
    CHECK(has("T:font:color=#ff0000"));
    CHECK(has("T:font:size=+2"));
    // A link's address is a URI token, never an attribute value token.
    CHECK(has("T:a:href"));
    CHECK(has("U:shop.example"));
    CHECK(has("buy"));
}

TEST_CASE("a picture with next to no text fires html_image_no_text") {
    TempDir state;
    Options options = options_with(default_rules, state.path);
    config::Config config;
    auto engine = open_engine(options, config);
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

TEST_CASE("a date hours after the message reached us is in the future") {
    TempDir state;
    Options options = options_with(default_rules, state.path);
    config::Config config;
    auto engine = open_engine(options, config);
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

TEST_CASE("meta and if expressions nested too deeply are refused") {
    RuleSet rules;
    std::string deep = "meta DEEP " + std::string(20000, '(') + "1" +
                       std::string(20000, ')') + "\n";
    std::string long_or = "meta WIDE A0";
    for (int i = 1; i < 5000; ++i)
        long_or += " || A" + std::to_string(i);
    rules.load_text(deep + long_or + "\nif " + std::string(100000, '!') +
                        "1\nbody X /x/\nendif\n",
                    "deep.cf");
    rules.compile();
    REQUIRE(rules.problems().size() == 3);
    CHECK(rules.problems()[0].message == "an if line is nested too deeply");
    CHECK(rules.problems()[1].message == "DEEP: nested more than 128 deep");
    CHECK(rules.problems()[2].message ==
          "WIDE: expression has more than 4096 terms");
    CHECK(rules.find("X") == nullptr);
}

TEST_CASE("meta rules that depend on themselves are reported and skipped") {
    RuleSet rules;
    rules.load_text("meta M1 M2 || __P\n"
                    "meta M2 M1\n"
                    "meta M3 M3\n"
                    "body __P /lunch/\n"
                    "meta LATE EARLY\n"
                    "meta EARLY __P\n",
                    "loop.cf");
    rules.compile();
    REQUIRE(rules.problems().size() == 3);
    CHECK(rules.problems()[0].message ==
          "M1: meta rule depends on itself; skipped");
    CHECK(rules.problems()[2].message ==
          "M3: meta rule depends on itself; skipped");
    MessageView view;
    view.body = "lunch";
    auto hits = rules.match(view, {});
    // A meta rule may use one defined after it, in any order.
    REQUIRE(hits.size() == 2);
    CHECK(hits[0].name == "EARLY");
    CHECK(hits[1].name == "LATE");
}

TEST_CASE("a chain of meta rules fires whole however long it is") {
    RuleSet rules;
    std::string text = "body __P /lunch/\n";
    for (int i = 0; i < 2000; ++i)
        text += "meta __C" + std::to_string(i) + " __C" +
                std::to_string(i + 1) + "\n";
    text += "meta __C2000 __P\nmeta TOP __C0\n";
    rules.load_text(text, "chain.cf");
    rules.compile();
    CHECK(rules.problems().empty());
    MessageView view;
    view.body = "lunch";
    auto hits = rules.match(view, {});
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].name == "TOP");
}

TEST_CASE("score lines give one or four finite scores of sane size") {
    RuleSet rules;
    rules.load_text("body S /x/\n"
                    "score S 1e308\n"
                    "score S 0x10\n"
                    "score S 1 2 nan 4\n"
                    "score S 5 junk\n"
                    "score S 1.0 2.0\n"
                    "score S 1 2 3.5 4\n"
                    "body B\x1b]0;x\x07 /x/\n"
                    "score A,B=C 1\n",
                    "scores.cf");
    rules.compile();
    REQUIRE(rules.problems().size() == 7);
    CHECK(rules.problems()[0].message == "S: score 1e308 is beyond ±1000");
    CHECK(rules.problems()[1].message == "S: \"0x10\" is not a score");
    CHECK(rules.problems()[2].message == "S: \"nan\" is not a score");
    CHECK(rules.problems()[3].message == "S: \"junk\" is not a score");
    CHECK(rules.problems()[4].message ==
          "S: a score line gives one score or four, not 2");
    CHECK(rules.problems()[5].message ==
          "a rule name is letters, digits and _ only");
    CHECK(rules.problems()[6].message ==
          "score needs a rule name of letters, digits and _");
    MessageView view;
    view.body = "x";
    auto hits = rules.match(view, {});
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].score == 3.5);
}

namespace {

// Writes files under dir: each pair is a path below it and its text.
void write_files(
    const TempDir& dir,
    const std::vector<std::pair<std::string, std::string>>& files) {
    for (const auto& [path, text] : files) {
        std::filesystem::path full = dir.path + "/" + path;
        std::filesystem::create_directories(full.parent_path());
        std::ofstream(full) << text;
    }
}

std::vector<std::string> reason_ids(const nlohmann::ordered_json& verdict) {
    std::vector<std::string> out;
    for (const auto& reason : verdict["reasons"])
        out.push_back(reason["id"]);
    return out;
}

bool has_id(const nlohmann::ordered_json& verdict, const std::string& id) {
    auto ids = reason_ids(verdict);
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

} // namespace

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

TEST_CASE("a broken domain file sends only its recipients to system level") {
    TempDir dir;
    write_files(dir, {{"p.toml", "[spam-score]\nthresholds.tag = 4.0\n"},
                      {"domains/bad.test.toml",
                       "[spam-score]\nthresholds.tag = 1e400\n"},
                      {"domains/other.org.toml",
                       "[spam-score]\nthresholds.quarantine = 4.5\n"}});
    auto config = config::load(dir.path + "/p.toml", true);
    REQUIRE(config.ok());
    Options options = options_with(cases + "rules", dir.path + "/state");
    options.common.form = filter::OutputForm::json;
    auto engine = open_engine(options, *config);
    stream::Record record;
    record.message = read_case("click.eml"); // scores 4.625
    record.envelope["rcpt"] = {"x@other.org", "y@bad.test"};
    auto outcome = engine->handle(record);
    REQUIRE(outcome.ok());
    CHECK(outcome->verdict["action"] == "tag");
    CHECK(outcome->verdict["rcpt"]["x@other.org"]["action"] == "quarantine");
    CHECK(!outcome->verdict["rcpt"].contains("y@bad.test"));
}

TEST_CASE("x-spam-status is folded under 78 columns without unsafe names") {
    Score score;
    score.total = 5.0;
    for (int i = 0; i < 100; ++i)
        score.hits.push_back(
            {fmt::format("A_RATHER_LONG_RULE_NAME_{:03}", i), 0.05, ""});
    score.hits.push_back({"BAD\r\nX-Evil: 1", 0, ""});
    score.hits.push_back({"BAD-DASH", 0, ""});
    auto headers = spam_headers(score, 5.0, true);
    const std::string& status = headers.back().second;
    std::string message =
        add_spam_fields("Subject: hi\r\n\r\nbody\r\n", headers);
    std::istringstream lines(message);
    std::string line;
    size_t longest = 0;
    while (std::getline(lines, line))
        longest = std::max(longest, line.size() - line.ends_with('\r'));
    CHECK(longest < 78);
    CHECK(message.find("\r\n\tA_RATHER_LONG_RULE_NAME_001,") !=
          std::string::npos);
    CHECK(message.find("\n\t") == message.find("\r\n\t") + 1);
    CHECK(status.find("A_RATHER_LONG_RULE_NAME_099 version=") !=
          std::string::npos);
    CHECK(status.find("BAD") == std::string::npos);
    CHECK(status.find("X-Evil") == std::string::npos);
    CHECK(printable("BAD\x1b[31m\n") == "BAD\\x1b[31m\\x0a");
}

TEST_CASE("a value of the wrong type is a config error naming its line") {
    TempDir dir;
    write_files(dir, {{"p.toml", "[spam-score]\nblock_senders = \"x.org\"\n"
                                 "local_rules = \"/tmp/x.cf\"\n"
                                 "subject_tag = 42\n"}});
    auto config = config::load(dir.path + "/p.toml", true);
    REQUIRE(config.ok());
    auto problems = type_problems(config->tool(tool_name));
    REQUIRE(problems.size() == 3);
    CHECK(problems[0] ==
          dir.path + "/p.toml:2: block_senders must be a list of strings");
    CHECK(problems[1] ==
          dir.path + "/p.toml:3: local_rules must be a list of strings");
    CHECK(problems[2] == dir.path + "/p.toml:4: subject_tag must be a string");
    Options options = options_with(cases + "rules", dir.path + "/state");
    auto engine = Engine::open(options, *config);
    REQUIRE(!engine.ok());
    CHECK(engine.error().exit_code == ExitCode::config);
    CHECK(engine.error().text() == problems[2]);
}

TEST_CASE("a wrong type in a domain file is ignored there") {
    TempDir dir;
    write_files(dir, {{"p.toml", "[spam-score]\nthresholds.tag = 4.0\n"},
                      {"domains/b.test.toml",
                       "[spam-score]\nblock_senders = \"example.biz\"\n"
                       "thresholds.tag = \"low\"\n"}});
    auto config = config::load(dir.path + "/p.toml", true);
    REQUIRE(config.ok());
    Options options = options_with(cases + "rules", dir.path + "/state");
    options.common.form = filter::OutputForm::json;
    auto engine = open_engine(options, *config);
    stream::Record record;
    record.message = read_case("click.eml");
    record.envelope["rcpt"] = {"y@b.test"};
    auto outcome = engine->handle(record);
    REQUIRE(outcome.ok());
    CHECK(outcome->verdict["action"] == "tag");
    CHECK(!outcome->verdict.contains("rcpt"));
}

TEST_CASE("every from mailbox is checked against the block list") {
    TempDir dir;
    write_files(dir,
                {{"p.toml", "[spam-score]\nblock_senders = [\"evil.example\"]\n"
                            "allow_senders = [\"nice.example\"]\n"}});
    auto config = config::load(dir.path + "/p.toml", true);
    REQUIRE(config.ok());
    Options options = options_with(cases + "rules", dir.path + "/state");
    options.common.form = filter::OutputForm::json;
    auto engine = open_engine(options, *config);
    auto verdict_for = [&](const std::string& from) {
        stream::Record record;
        record.message = from + "Subject: hi\n\nhello\n";
        auto outcome = engine->handle(record);
        REQUIRE(outcome.ok());
        return outcome->verdict;
    };
    for (std::string from :
         {"From: x@nice.example, y@evil.example\n", "From: x@evil.example.\n",
          "From: Y <Y@EVIL.EXAMPLE..>\n",
          "From: x@nice.example\nFrom: y@evil.example\n"}) {
        auto verdict = verdict_for(from);
        CHECK(has_id(verdict, "BLOCKLISTED"));
        CHECK(!has_id(verdict, "ALLOWLISTED"));
    }
    // Allowing stays as strict: every mailbox, one From header.
    CHECK(has_id(verdict_for("From: x@nice.example.\n"), "ALLOWLISTED"));
    CHECK(!has_id(verdict_for("From: x@nice.example, y@other.example\n"),
                  "ALLOWLISTED"));
    CHECK(!has_id(verdict_for("From: x@nice.example\nFrom: y@nice.example\n"),
                  "ALLOWLISTED"));
}

TEST_CASE("a future date without received headers counts from arrival") {
    TempDir state;
    Options options = options_with(default_rules, state.path);
    config::Config config;
    auto engine = open_engine(options, config);
    std::string message = "Date: Sat, 14 Sep 2002 20:40:00 +0000\n"
                          "From: a@b.example\nSubject: hi\n\nHello there.\n";
    auto early = engine->score(message, parse_rfc3339("2002-09-14T08:00:00Z"));
    REQUIRE(early.ok());
    CHECK(fired(*early, "DATE_IN_FUTURE_12H"));
    auto close = engine->score(message, parse_rfc3339("2002-09-14T10:00:00Z"));
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

TEST_CASE("shown scores never contradict the decision nor read -0") {
    Score score;
    score.total = 4.96;
    auto no = spam_headers(score, 5.0, false);
    CHECK(no[0].second == "4.96");
    CHECK(no.back().second.starts_with("No, score=4.96 required=5.00 "));
    score.total = 5.0;
    auto yes = spam_headers(score, 5.0, true);
    CHECK(yes[3].second.starts_with("Yes, score=5.0 required=5.0 "));
    score.total = -0.04;
    CHECK(spam_headers(score, 5.0, false)[0].second == "0.0");

    TempDir dir;
    write_files(dir, {{"rules/r.cf", "body T_TINY /hello/\n"
                                     "score T_TINY -0.0001\n"}});
    Options options = options_with(dir.path + "/rules", dir.path + "/state");
    options.common.form = filter::OutputForm::json;
    config::Config config;
    auto engine = open_engine(options, config);
    stream::Record record;
    record.message = "From: a@b.example\nSubject: x\n\nhello\n";
    auto outcome = engine->handle(record);
    REQUIRE(outcome.ok());
    CHECK(outcome->verdict["score"].dump() == "0.0");
}

TEST_CASE("perl escapes re2 reads otherwise are reported, not run") {
    RuleSet rules;
    rules.load_text("rawbody V /foo\\vbar/\n"
                    "body W /a\\\\vb/\n"
                    "ifplugin\n"
                    "endif\n"
                    "if 1\n",
                    "perl.cf");
    rules.compile();
    REQUIRE(rules.problems().size() == 3);
    CHECK(rules.problems()[0].where == "perl.cf:1");
    CHECK(rules.problems()[0].message ==
          "V: \\v means another thing in RE2 than in Perl; write the "
          "characters out");
    CHECK(rules.problems()[1].message == "ifplugin names no plugin");
    CHECK(rules.problems()[2].where == "perl.cf:5");
    CHECK(rules.find("W") != nullptr); // an escaped backslash, then v
}
