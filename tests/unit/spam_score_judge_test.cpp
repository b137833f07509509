// spam-score's judging: bands per recipient through the level hierarchy,
// lists, X-Spam headers as SpamAssassin writes them, and configuration
// errors at each level.
#include "mail/header_edit.hpp"
#include "spam_score_fixtures.hpp"

using namespace portcullis;
using namespace portcullis::spam_score;
using namespace portcullis::spam_score::testing;

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
                          "X-Spam-Report: forged\nSubject: hello\n\nbody\n";
    std::string tagged = mail::tag_subject(message, "[SPAM]");
    CHECK(add_spam_fields(tagged, {{"X-Spam-Flag", "YES"}}) ==
          "Subject: [SPAM] hello\nX-Spam-Flag: YES\n\nbody\n");
}

TEST_CASE("planted x-spam fields that were the whole header block leave "
          "no second blank line") {
    // The stripped block was left empty, and the message was then taken
    // for body text alone: a blank line was added before the one it had.
    std::vector<std::pair<std::string, std::string>> ours = {
        {"X-Spam-Score", "0.0"}};
    CHECK(add_spam_fields("X-Spam-Flag: YES\n\nbody\n", ours) ==
          "X-Spam-Score: 0.0\n\nbody\n");
    CHECK(add_spam_fields("X-Spam-Flag: YES\r\n\r\nbody\r\n", ours) ==
          "X-Spam-Score: 0.0\r\n\r\nbody\r\n");
    CHECK(add_spam_fields("From a@b Fri Dec  4 10:00:00 2026\n"
                          "X-Spam-Flag: YES\n\nbody\n",
                          ours) ==
          "From a@b Fri Dec  4 10:00:00 2026\nX-Spam-Score: 0.0\n\nbody\n");
    CHECK(add_spam_fields("X-Spam-Flag: YES\r\n", ours) ==
          "X-Spam-Score: 0.0\r\n\r\n");
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
    ConfiguredEngine engine(dir, "portcullis.toml");
    auto verdict = engine.verdict(read_case("click.eml"),
                                  {"bob@example.net", "carol@example.net",
                                   "dave@example.org"}); // scores 4.625
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
    ConfiguredEngine engine(dir, "portcullis.toml");
    auto verdict = engine.verdict(read_case("click.eml"),
                                  {"carol@example.net", "erin@example.net"});
    CHECK(verdict["action"] == "tag");
    CHECK(verdict["rcpt"]["carol@example.net"]["action"] == "pass");
    CHECK(!verdict["rcpt"].contains("erin@example.net"));
}

TEST_CASE("a blocked sender is judged spam and an allowed one is not") {
    TempDir dir;
    std::ofstream(dir.path + "/portcullis.toml")
        << "[spam-score]\nblock_senders = [\"example.biz\"]\n";
    ConfiguredEngine engine(dir, "portcullis.toml");
    auto verdict = engine.verdict(read_case("click.eml"));
    CHECK(verdict["action"] == "tag");
    CHECK(verdict["reasons"][0]["id"] == "BLOCKLISTED");
}

TEST_CASE("a broken domain file sends only its recipients to system level") {
    TempDir dir;
    write_files(dir, {{"p.toml", "[spam-score]\nthresholds.tag = 4.0\n"},
                      {"domains/bad.test.toml",
                       "[spam-score]\nthresholds.tag = 1e400\n"},
                      {"domains/other.org.toml",
                       "[spam-score]\nthresholds.quarantine = 4.5\n"}});
    ConfiguredEngine engine(dir, "p.toml");
    auto verdict = engine.verdict(
        read_case("click.eml"), {"x@other.org", "y@bad.test"}); // scores 4.625
    CHECK(verdict["action"] == "tag");
    CHECK(verdict["rcpt"]["x@other.org"]["action"] == "quarantine");
    CHECK(!verdict["rcpt"].contains("y@bad.test"));
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
}

TEST_CASE("x-spam-status names two hundred tests at most") {
    Score score;
    score.total = 50.0;
    for (int i = 0; i < 5000; ++i)
        score.hits.push_back({fmt::format("LOCAL_{:04}", i), 0.01, ""});
    std::string status = spam_headers(score, 5.0, true).back().second;
    CHECK(status.find("LOCAL_0199") != std::string::npos);
    CHECK(status.find("LOCAL_0199,") == std::string::npos);
    CHECK(status.find("LOCAL_0200") == std::string::npos);
    CHECK(status.size() < 3000);
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
    ConfiguredEngine engine(dir, "p.toml");
    auto verdict = engine.verdict(read_case("click.eml"), {"y@b.test"});
    CHECK(verdict["action"] == "tag");
    CHECK(!verdict.contains("rcpt"));
}

TEST_CASE("every from mailbox is checked against the block list") {
    TempDir dir;
    write_files(dir,
                {{"p.toml", "[spam-score]\nblock_senders = [\"evil.example\"]\n"
                            "allow_senders = [\"nice.example\"]\n"}});
    ConfiguredEngine engine(dir, "p.toml");
    auto verdict_for = [&](const std::string& from) {
        return engine.verdict(from + "Subject: hi\n\nhello\n");
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

TEST_CASE("a block at a lower level wins over the system's allow") {
    TempDir dir;
    write_files(dir, {{"p.toml", "[spam-score]\nthresholds.tag = 5.0\n"
                                 "thresholds.reject = 50.0\n"
                                 "allow_senders = [\"example.biz\"]\n"},
                      {"domains/example.net.toml",
                       "[users.\"bob@example.net\".spam-score]\n"
                       "block_senders = [\"shop@example.biz\"]\n"}});
    ConfiguredEngine engine(dir, "p.toml");
    // click.eml scores 4.625: allowed it is -95.375, blocked 104.625.
    auto verdict = engine.verdict(read_case("click.eml"),
                                  {"bob@example.net", "carol@example.net"});
    CHECK(verdict["action"] == "pass");
    CHECK(verdict["score"] == -95.375);
    CHECK(reason_ids(verdict)[0] == "ALLOWLISTED");
    CHECK(verdict["rcpt"]["bob@example.net"]["action"] == "reject");
    CHECK(!verdict["rcpt"].contains("carol@example.net"));
}

TEST_CASE("a blocked client wins over an allowed sender of the same "
          "level") {
    TempDir dir;
    write_files(dir, {{"p.toml", "[spam-score]\nthresholds.reject = 50.0\n"
                                 "allow_senders = [\"example.biz\"]\n"
                                 "block_clients = [\"192.0.2.0/24\"]\n"}});
    ConfiguredEngine engine(dir, "p.toml");
    stream::Record record;
    record.message = read_case("click.eml");
    record.envelope["mail_from"] = "shop@example.biz";
    record.envelope["client"] = {{"ip", "::ffff:192.0.2.44"}};
    auto verdict = engine.verdict(record);
    CHECK(verdict["action"] == "reject");
    CHECK(verdict["score"] == 104.625);
    CHECK(has_id(verdict, "BLOCKLISTED"));
    CHECK(!has_id(verdict, "ALLOWLISTED"));
    record.envelope["client"] = {{"ip", "192.0.3.1"}};
    verdict = engine.verdict(record);
    CHECK(verdict["action"] == "pass");
    CHECK(has_id(verdict, "ALLOWLISTED"));
}

TEST_CASE("sender list entries take the forms policy-check takes") {
    TempDir dir;
    write_files(dir, {{"p.toml", "[spam-score]\nthresholds.reject = 50.0\n"
                                 "block_senders = [\"*.wild.example\", "
                                 "\"@spam.example\", \"exact.example\"]\n"
                                 "allow_senders = [\"example\"]\n"}});
    ConfiguredEngine engine(dir, "p.toml");
    auto list_hit = [&](const std::string& from) {
        auto verdict = engine.verdict("From: " + from +
                                      "\nSubject: hi\n\n"
                                      "hello\n");
        auto ids = reason_ids(verdict);
        return ids.empty() ? std::string() : ids[0];
    };
    CHECK(list_hit("a@wild.example") == "BLOCKLISTED");
    CHECK(list_hit("a@x.wild.example") == "BLOCKLISTED");
    CHECK(list_hit("a@spam.example") == "BLOCKLISTED");
    CHECK(list_hit("a@x.spam.example") != "BLOCKLISTED");
    CHECK(list_hit("a@exact.example") == "BLOCKLISTED");
    CHECK(list_hit("a@x.exact.example") != "BLOCKLISTED");
    CHECK(list_hit("a@evilspam.example") != "ALLOWLISTED");
    CHECK(list_hit("a@example") == "ALLOWLISTED");
}

TEST_CASE("a list entry of no known form is a config error naming its "
          "line") {
    TempDir dir;
    write_files(dir, {{"p.toml", "[spam-score]\n"
                                 "block_senders = [\"ok.example\",\n"
                                 "  \"*spam.example\"]\n"
                                 "block_clients = [\"2001:db8:bad::\"]\n"
                                 "allow_clients = [\"10.0.0.0/40\"]\n"}});
    auto config = config::load(dir.path + "/p.toml", true);
    REQUIRE(config.ok());
    auto problems = type_problems(config->tool(tool_name));
    CHECK(problems ==
          std::vector<std::string>{
              dir.path + "/p.toml:3: block_senders: \"*spam.example\" is "
                         "not an address, domain, @domain or *.domain",
              dir.path + "/p.toml:4: block_clients: \"2001:db8:bad::\" is "
                         "one address, not a network: write "
                         "2001:db8:bad::/48",
              dir.path + "/p.toml:5: allow_clients: \"10.0.0.0/40\" is not "
                         "an IP address or network (192.0.2.0/24, "
                         "2001:db8::/32)"});
    Options options = options_with(cases + "rules", dir.path + "/state");
    auto engine = Engine::open(options, *config);
    REQUIRE(!engine.ok());
    CHECK(engine.error().exit_code == ExitCode::config);
}

TEST_CASE("the score in the verdict is the score compared with the bands") {
    TempDir dir;
    write_files(dir, {{"rules/r.cf", "body T_A /hello/\nscore T_A 16.327\n"},
                      {"p.toml", "[spam-score]\nthresholds.tag = 16.33\n"},
                      {"q.toml", "[spam-score]\nthresholds.tag = 16.327\n"}});
    for (const char* file : {"p.toml", "q.toml"}) {
        auto config = config::load(dir.path + "/" + file, true);
        REQUIRE(config.ok());
        Options options =
            options_with(dir.path + "/rules", dir.path + "/state");
        options.common.form = filter::OutputForm::json;
        auto engine = open_engine(options, *config);
        stream::Record record;
        record.message = "From: a@b.example\nSubject: x\n\nhello\n";
        auto outcome = engine->handle(record);
        REQUIRE(outcome.ok());
        CHECK(outcome->verdict["score"].dump() == "16.327");
        CHECK(outcome->verdict["action"] ==
              (std::string(file) == "p.toml" ? "pass" : "tag"));
    }
}
