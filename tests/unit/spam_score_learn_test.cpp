// spam-score's learning: Bayes tokens, learning twice counting once,
// forgetting, the token table, and fuzzy signatures of reported spam.
#include "spam_score_fixtures.hpp"

using namespace portcullis;
using namespace portcullis::spam_score;
using namespace portcullis::spam_score::testing;

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
