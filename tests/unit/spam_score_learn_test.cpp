// spam-score's learning: Bayes tokens, learning twice counting once,
// forgetting, the token table, and fuzzy signatures of reported spam.
#include "spam_score_fixtures.hpp"

#include "core/digest.hpp"
#include "spam_score_identity.hpp"

#include <sqlite3.h>

using namespace portcullis;
using namespace portcullis::spam_score;
using namespace portcullis::spam_score::testing;

namespace {

// The Bayes tokens of a message, as learning would count them.
std::vector<std::string> tokens_of(const std::string& message) {
    auto analysis = analyse(message, Limits{}, 1 << 20);
    REQUIRE(analysis.ok());
    return tokenize(analysis->tree, analysis->decoded_headers, analysis->text,
                    analysis->uris);
}

bool holds(const std::vector<std::string>& tokens, const std::string& token) {
    return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
}

} // namespace

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

TEST_CASE("a token's probability weighs a class by how much of it was "
          "learned") {
    BayesSettings settings; // prior_messages 10
    state::Totals totals{200, 1100, 0};
    // In 29 of 1,100 ham and none of 200 spam: rates (0 + 10 * 29/1300)
    // / 210 and (29 + 10 * 29/1300) / 1110.
    CHECK(token_probability({0, 29}, totals, settings) ==
          Approx(0.038784).epsilon(1e-4));
    // A token one class never held gets one probability however often
    // the other held it.
    CHECK(token_probability({0, 1}, totals, settings) ==
          Approx(0.038784).epsilon(1e-4));
    CHECK(token_probability({10, 0}, totals, settings) ==
          Approx(0.998558).epsilon(1e-5));
    CHECK(token_probability({1, 0}, totals, settings) ==
          Approx(0.998558).epsilon(1e-5));
    // Held by both: weighed by the two rates.
    CHECK(token_probability({2, 29}, totals, settings) ==
          Approx(0.2881).epsilon(1e-3));
    // The same share of each class is no evidence either way.
    CHECK(token_probability({20, 110}, totals, settings) == Approx(0.5));
    // Counts swapped with the totals give the mirror image.
    state::Totals swapped{1100, 200, 0};
    CHECK(token_probability({29, 0}, swapped, settings) ==
          Approx(1 - 0.038784).epsilon(1e-4));
    // A weaker prior lets few messages say more.
    settings.prior_messages = 0.1;
    CHECK(token_probability({1, 0}, {1, 1, 0}, settings) == Approx(1.05 / 1.1));
    // Nothing learned at all: no opinion, and no division by zero.
    CHECK(token_probability({0, 0}, {0, 0, 0}, settings) == 0.5);
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

    auto token_rows = [&] {
        sqlite3* db = nullptr;
        sqlite3_open_v2((state.path + "/spam-score.sqlite").c_str(), &db,
                        SQLITE_OPEN_READONLY, nullptr);
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(db, "SELECT count(*) FROM tokens", -1, &st, nullptr);
        sqlite3_step(st);
        int64_t rows = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(db);
        return rows;
    };
    CHECK(token_rows() > 20);

    learn_options.forget = true;
    CHECK(learn(options, config, learn_options) == ExitCode::ok);
    CHECK((*store)->totals()->ham == 0);
    // Forgetting leaves no token rows of zero counts behind.
    CHECK(token_rows() == 0);
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
    auto tokens = tokens_of("From: a@b.example\nSubject: x\n"
                            "Content-Type: text/html\n\n"
                            "<p><FONT color=\"#FF0000\" size=+2>Buy now</font> "
                            "<a href=\"http://shop.example/x\">here</a></p>\n");
    auto has = [&](const std::string& token) { return holds(tokens, token); };
    CHECK(has("T:p"));
    CHECK(has("T:font:color=#ff0000"));
    CHECK(has("T:font:size=+2"));
    // A link's address is a URI token, never an attribute value token.
    CHECK(has("T:a:href"));
    CHECK(has("U:shop.example"));
    CHECK(has("buy"));
}

TEST_CASE("Received fields give tokens of the sender's path only") {
    auto tokens = tokens_of(
        "Received: from localhost (localhost [127.0.0.1])\r\n"
        "\tby mx.ourside.example (Postfix) with ESMTP id 1A\r\n"
        "\tfor <bob@ourside.example>; Fri, 4 Dec 2026 10:00:01 +0000\r\n"
        "Received: from relay.sender.example (relay.sender.example "
        "[203.0.113.7])\r\n\tby gw.ourside.example with ESMTP id 2B; "
        "Fri, 4 Dec 2026 10:00:00 +0000\r\n"
        "Received: from pc.sender.example (pc.sender.example [198.51.100.2])"
        "\r\n\tby relay.sender.example with ESMTP id 3C; Fri, 4 Dec 2026 "
        "09:59:59 +0000\r\n"
        "From: a@sender.example\r\nSubject: hi\r\n\r\nhello\r\n");
    std::string relays;
    for (const std::string& token : tokens)
        if (token.starts_with("R:"))
            relays += token + " ";
    // Our own hops and our gateway's name are the same for all mail; the
    // date says when; the sender's relays and their servers are kept.
    CHECK(relays == "R:198.51.100.2 R:203.0.113.7 R:pc.sender.example "
                    "R:relay.sender.example ");
}

TEST_CASE("east asian text gives a token per character and per pair") {
    // Written without spaces, a sentence would be one long word; each
    // character is a word instead, and neighbours make bigrams. The
    // ideographic full stop is no part of a word, as a full stop is not.
    auto tokens =
        tokens_of("From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
                  "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                  "\xe6\x97\xa5\xe6\x9c\xac\xe3\x80\x82sale\xe5\xae\x89\r\n");
    auto has = [&](const std::string& token) { return holds(tokens, token); };
    CHECK(has("\xe6\x97\xa5"));              // 日
    CHECK(has("\xe6\x9c\xac"));              // 本
    CHECK(has("\xe6\x97\xa5 \xe6\x9c\xac")); // 日 本
    CHECK(has("sale"));
    CHECK(has("\xe5\xae\x89")); // 安
    CHECK(has("sale \xe5\xae\x89"));
    for (const std::string& token : tokens)
        CHECK(token.find("\xe3\x80\x82") == std::string::npos);

    // The same words in ISO-2022-JP are read after conversion.
    CHECK(holds(tokens_of("From: a@b.example\r\nSubject: x\r\n"
                          "MIME-Version: 1.0\r\n"
                          "Content-Type: text/plain; charset=iso-2022-jp\r\n"
                          "\r\n\x1b$BF|K\\\x1b(B\r\n"),
                "\xe6\x97\xa5 \xe6\x9c\xac"));
}

TEST_CASE("words come from every alternative, each once") {
    // Before token format 7 the HTML beside a plain part gave no words:
    // "best viewed in HTML" hid the pitch from Bayes as from rules.
    auto tokens = tokens_of(
        "From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/alternative; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nBest viewed in HTML.\r\n"
        "--B\r\nContent-Type: text/html\r\n\r\n"
        "<p>Cheap <b>pills</b> online</p>\r\n--B--\r\n");
    CHECK(holds(tokens, "viewed"));
    CHECK(holds(tokens, "pills"));
    CHECK(std::count(tokens.begin(), tokens.end(), "cheap") == 1);
}

TEST_CASE("words fold case in every script, composed") {
    // Case folding was ASCII alone: "ÉNORME" and "énorme" were two words,
    // and Cyrillic or Greek capitals were never folded nor shouts.
    auto tokens = tokens_of(
        "From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "\xc3\x89NORME \xd0\xa1\xd0\x9a\xd0\x98\xd0\x94\xd0\x9a\xd0\x90 "
        "Stra\xc3\x9f"
        "e e\xcc\x81t\xc3\xa9 Caf\xc3\xa9\r\n");
    auto has = [&](const std::string& token) { return holds(tokens, token); };
    CHECK(has("\xc3\xa9norme"));    // énorme
    CHECK(has("UC:\xc3\xa9norme")); // a shout
    // skidka, in Cyrillic
    CHECK(has("\xd1\x81\xd0\xba\xd0\xb8\xd0\xb4\xd0\xba\xd0\xb0"));
    CHECK(has("UC:\xd1\x81\xd0\xba\xd0\xb8\xd0\xb4\xd0\xba\xd0\xb0"));
    CHECK(has("strasse"));           // ß folds to ss
    CHECK(has("\xc3\xa9t\xc3\xa9")); // été, composed
    CHECK(has("caf\xc3\xa9"));
    CHECK(!has("UC:caf\xc3\xa9")); // capitalised, not shouted
}

TEST_CASE("a shouted word is a sign beside the word; other pairs are not") {
    // Since token format 8 neighbouring words make no pair unless one is
    // an East Asian character: pairs seen once or twice made Bayes worse.
    auto tokens = tokens_of("From: a@b.example\r\nSubject: x\r\n\r\n"
                            "Act NOW for a FREE gift, OK? R2D2 and 100%\r\n");
    CHECK(holds(tokens, "now"));
    CHECK(holds(tokens, "UC:now"));
    CHECK(holds(tokens, "UC:free"));
    CHECK(holds(tokens, "UC:r2d2"));
    CHECK(!holds(tokens, "UC:act"));  // capitalised, not shouted
    CHECK(!holds(tokens, "UC:ok"));   // too short to tell from a mark
    CHECK(!holds(tokens, "UC:100%")); // no letter at all
    for (const std::string& token : tokens) {
        INFO(token);
        CHECK(token.find(' ') == std::string::npos);
    }
}

TEST_CASE("mailing-list, resending and mail-store headers give no tokens") {
    // A list that filters its spam would make its own headers signs of
    // wanted mail, and the spam that gets through carries them too.
    auto tokens = tokens_of(
        "From: a@sender.example\r\nTo: bob@ourside.example\r\n"
        "Subject: hi\r\nSender: list-admin@lists.example\r\n"
        "Errors-To: list-admin@lists.example\r\n"
        "X-BeenThere: list@lists.example\r\n"
        "X-Mailman-Version: 2.0.11\r\n"
        "List-Id: <list.lists.example>\r\n"
        "List-Unsubscribe: <mailto:list-request@lists.example>\r\n"
        "List-Archive: <http://lists.example/pipermail/list/>\r\n"
        "Resent-From: fwd@other.example\r\n"
        "X-Original-To: bob@ourside.example\r\nX-UIDL: 123abc\r\n"
        "X-Loop: list@lists.example\r\nX-Shop-Id: 42\r\n\r\nhello\r\n");
    for (const std::string& token : tokens) {
        INFO(token);
        CHECK(token.find("lists.example") == std::string::npos);
        CHECK(token.find("mailman") == std::string::npos);
        CHECK(token.find("resent") == std::string::npos);
        CHECK(token.find("uidl") == std::string::npos);
    }
    // A header no one knows, a sender's tracking header say, still counts.
    CHECK(holds(tokens, "HN:x-shop-id"));
}

// Learned counts are only good for the tokens they were learned as. When
// this fails, the tokens or the identity a message gives have changed:
// raise token_format in spam_score_bayes.hpp, so that databases learned
// before are not mixed with new counts, and then update the digests here.
TEST_CASE("the tokens of a sample message are those of token_format") {
    const std::string message =
        "Received: from relay.example.net (relay.example.net [192.0.2.7])\r\n"
        "\tby mx.example.org with ESMTP id 12345; Fri, 4 Dec 2026 10:00:00 "
        "+0000\r\n"
        "From: \"Shop Team\" <offers@shop.example.biz>\r\n"
        "Reply-To: deals@example.com\r\n"
        "To: bob@example.org\r\n"
        "Subject: =?utf-8?q?Big_SALE_=E2=80=93_50%_off?=\r\n"
        "Date: Fri, 04 Dec 2026 10:00:00 +0000\r\n"
        "Message-ID: <AB12cd.34@shop.example.biz>\r\n"
        "X-Mailer: Mass Mailer 2.0\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
        "--b1\r\nContent-Type: text/html; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        "<html><body bgcolor=3D\"#ffffff\"><font color=3Dred size=3D5>"
        "FREE offer!</font> Click <a href=3D\"http://www.deals.example.com/"
        "buy/now?id=3D7\">here</a> to save $1,000 today.</body></html>\r\n"
        "--b1\r\nContent-Type: application/pdf; name=\"terms.pdf\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n";
    auto analysis = analyse(message, Limits{}, 512 * 1024);
    REQUIRE(analysis.ok());
    std::string joined;
    for (const std::string& token :
         tokenize(analysis->tree, analysis->decoded_headers, analysis->text,
                  analysis->uris))
        joined += token + "\n";
    INFO(joined);
    CHECK(token_format == 9);
    CHECK(digest::sha256_hex(joined) ==
          "0411eb0a9fd4454183fa8fcbf98adc2844e307de6ac856f6e639c2949ce3d954");
    // What a learned message is known by is part of the format too: a
    // database holds the identities of what it learned.
    CHECK(message_identity(*analysis, "[SPAM]") ==
          "a56d333ef001e544ba3e754e9bdf8392ddd94c84c5c0e60e53eff5c74ab3f8ac");
}

TEST_CASE("learned counts without a token format are refused, an empty "
          "store is stamped") {
    TempDir state;
    std::string path = state.path + "/s.sqlite";
    auto store = state::SqliteStore::open(path, false);
    REQUIRE(store.ok());
    CHECK(!*(*store)->holds_learning());
    CHECK(token_format_problem(**store, path).ok());

    std::vector<uint64_t> tokens = {1, 2, 3};
    REQUIRE((*store)->learn("d1", false, tokens).ok());
    CHECK(*(*store)->holds_learning());
    // No format row, as a database whose row was deleted holds.
    auto problem = token_format_problem(**store, path);
    REQUIRE(!problem.ok());
    CHECK(problem.error().text() ==
          path + ": holds learned counts but no token format: learn the "
                 "messages again into a new state folder");
    CHECK(problem.error().exit_code == ExitCode::unavailable);

    REQUIRE((*store)->set_token_format(token_format).ok());
    CHECK(token_format_problem(**store, path).ok());
    REQUIRE((*store)->set_token_format(token_format + 1).ok());
    CHECK(token_format_problem(**store, path).error().message ==
          fmt::format("learned in token format {}, and this spam-score "
                      "makes format {}: learn the messages again into a "
                      "new state folder",
                      token_format + 1, token_format));

    // Forgotten to nothing, a store may be stamped again.
    REQUIRE((*store)->unlearn("d1", false, tokens).ok());
    CHECK(!*(*store)->holds_learning());
    CHECK(token_format_problem(**store, path).ok());
}
