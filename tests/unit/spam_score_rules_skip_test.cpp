// What the rule loader refuses rather than run with another meaning:
// meta rules on skipped or undefined rules, header forms spam-score does
// not compute, text after a pattern, settings that would change what
// happens to mail, and limits, each reported word for word with
// file:line.
#include "spam_score_fixtures.hpp"

using namespace portcullis;
using namespace portcullis::spam_score;
using namespace portcullis::spam_score::testing;

using Names = std::vector<std::string>;

TEST_CASE("a meta rule on a skipped or undefined rule is skipped too") {
    RuleSet rules = rules_from("body A /okword/\n"
                               "body __NOTLOOK /okword(?!s)/\n"
                               "body __EVALR eval:check_foo()\n"
                               "meta NEGSKIP A && !__NOTLOOK\n"
                               "score NEGSKIP 5\n"
                               "meta NEGEVAL A && !__EVALR\n"
                               "meta UNDEF A && !__NOSUCH\n"
                               "meta CHAIN NEGSKIP || A\n"
                               "meta GOOD A && !BAYES_99\n");
    auto lines = problem_lines(rules);
    REQUIRE(lines.size() == 7);
    CHECK(lines[0] == "t.cf:3: __EVALR: eval rules are not supported");
    CHECK(lines[1].rfind("t.cf:2: __NOTLOOK: RE2 cannot run this pattern: ",
                         0) == 0);
    CHECK(lines[2] == "t.cf:4: NEGSKIP: uses __NOTLOOK, which was skipped; "
                      "skipped too");
    CHECK(lines[3] == "t.cf:6: NEGEVAL: uses __EVALR, which was skipped; "
                      "skipped too");
    CHECK(lines[4] == "t.cf:7: UNDEF: uses __NOSUCH, which no rule defines; "
                      "skipped");
    CHECK(lines[5] == "t.cf:8: CHAIN: uses NEGSKIP, which was skipped; "
                      "skipped too");
    CHECK(lines[6] == "t.cf:9: GOOD: uses BAYES_99, which no rule defines; "
                      "skipped");
    // BAYES_99 is not declared here, so GOOD is skipped as well; with the
    // engine's built-in names declared it stays.
    RuleSet declared;
    declared.declare_builtin("BAYES_99");
    declared.load_text("body A /okword/\nmeta GOOD A && !BAYES_99\n", "t.cf");
    declared.compile();
    CHECK(declared.problems().empty());
    CHECK(fired_on(declared, body_view({"s", "okword"})) == Names{"A", "GOOD"});
    CHECK(fired_on(rules, body_view({"s", "okword"})) == Names{"A"});
}

TEST_CASE("a zero score switches a rule off for meta rules too") {
    // What SpamAssassin 4.0.1 fires with these rules on "okword": a
    // pattern rule scored 0 is not run and reads 0, whether it could run
    // or not; a meta rule that uses a meta rule scored 0 is never run.
    RuleSet rules = rules_from("body __SUB /okword/\n"
                               "score __SUB 0\n"
                               "meta USES_SUB __SUB\n"
                               "meta NOT_SUB !__SUB\n"
                               "body __COUNT /okword/\n"
                               "tflags __COUNT multiple\n"
                               "score __COUNT 0\n"
                               "meta COUNTED __COUNT > 0\n"
                               "body __AHEAD /okword(?=s)/\n"
                               "score __AHEAD 0\n"
                               "meta NOT_AHEAD !__AHEAD\n"
                               "body B /okword/\n"
                               "meta OFF_META B\n"
                               "score OFF_META 0\n"
                               "meta USES_OFF OFF_META\n"
                               "meta NOT_OFF !OFF_META\n"
                               "meta NOT_NOT_OFF !NOT_OFF\n"
                               "meta EITHER B || OFF_META\n"
                               "score B 1.5\n"
                               "score B 0\n"
                               "score B 2\n");
    auto lines = problem_lines(rules);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].rfind("t.cf:9: __AHEAD: RE2 cannot run this pattern: ", 0) ==
          0);
    CHECK(rules.size() == 12);
    CHECK(fired_on(rules, body_view({"s", "okword"})) ==
          Names{"B", "NOT_AHEAD", "NOT_SUB"});

    // The last score line counts: a rule scored 0 and then 2 runs, and
    // one scored 0 last is off, a built-in test too.
    RuleSet builtin;
    builtin.declare_builtin("BAYES_99");
    builtin.load_text("score BAYES_99 3\nscore BAYES_99 0\n"
                      "meta ON_BAYES BAYES_99\nmeta OFF_BAYES !BAYES_99\n",
                      "t.cf");
    builtin.compile();
    CHECK(builtin.problems().empty());
    CHECK(builtin.match(MessageView{}, {"BAYES_99"}).size() == 1);
    CHECK(builtin.match(MessageView{}, {"BAYES_99"})[0].name == "OFF_BAYES");
}

TEST_CASE("header forms spam-score does not compute are refused") {
    RuleSet rules = rules_from("header H1 X-Spam-Relays-External !~ /foo/\n"
                               "header H2 ALL-EXTERNAL =~ /x/\n"
                               "header H3 Subject:foo =~ /s/\n"
                               "header H4 exists:X-Foo =~ /x/\n"
                               "header H5 From:first:addr =~ /x/\n"
                               "header H6 EnvelopeFrom:raw =~ /x/\n"
                               "header H7 X-Spam-Status =~ /Yes/\n"
                               "header H8 MESSAGEID:addr =~ /x/\n"
                               "header H9 exists:Subject:raw\n");
    CHECK(problem_lines(rules) ==
          Names{"t.cf:1: H1: X-Spam-Relays-External needs the trusted and "
                "internal relays, which spam-score does not track",
                "t.cf:2: H2: ALL-EXTERNAL needs the trusted and internal "
                "relays, which spam-score does not track",
                "t.cf:3: H3: header modifier \":foo\" is not supported",
                "t.cf:4: H4: unexpected \"=~ /x/\" after exists:X-Foo",
                "t.cf:5: H5: header modifiers \":first:addr\" together are "
                "not supported",
                "t.cf:6: H6: header modifier \":raw\" is not supported on "
                "EnvelopeFrom",
                "t.cf:7: H7: X-Spam-Status is never read: X-Spam-* header "
                "fields are removed first",
                "t.cf:8: H8: header modifier \":addr\" is not supported on "
                "MESSAGEID",
                "t.cf:9: H9: exists: takes a header field name, not "
                "Subject:raw"});
    CHECK(rules.size() == 0);
}

TEST_CASE("spamassassin's header forms read what spamassassin's read") {
    TempDir dir;
    write_files(dir, {{"rules/t.cf",
                       "header TOCC_RAW ToCc:raw =~ /=\\?utf-8\\?/i\n"
                       "header TOCC ToCc =~ /=\\?utf-8\\?/i\n"
                       "header ALL_RAW ALL:raw =~ /^Subject: =\\?/m\n"
                       "header MSGID MESSAGEID =~ /\\@list\\.example/\n"
                       "header MSGID_RAW MESSAGEID:raw =~ /real\\.example/\n"
                       "header tocc_lower tocc =~ /bob/\n"
                       "header TO_ADDRS To:addr =~ "
                       "/^bob\\@y\\.example\\ncarl\\@z\\.example$/\n"
                       "header TOCC_ADDR ToCc:addr =~ /^carl/m\n"
                       "header __TOCC_EXISTS exists:ToCc\n"
                       "meta TOCC_EXISTS __TOCC_EXISTS\n"
                       "header FROM_NAME From:name =~ /^Ann$/\n"
                       "header TO_NAME To:name =~ /^Bob$/\n"
                       "header TOCC_LINES ToCc =~ "
                       "/carl\\@z\\.example\\ndan\\@w\\.example$/\n"
                       "header TOCC_COMMA ToCc =~ /z\\.example, dan/\n"}});
    RulesEngine engine(dir);
    auto score =
        engine->score("From: Ann <a@x.example>\n"
                      "To: =?utf-8?q?Bob?= <bob@y.example>, carl@z.example\n"
                      "Cc: dan@w.example\n"
                      "Subject: =?utf-8?q?hi?=\n"
                      "X-Message-Id: <1@list.example>\n"
                      "Message-Id: <2@real.example>\n"
                      "\n"
                      "hello\n");
    REQUIRE(score.ok());
    Names names;
    for (const Hit& hit : score->hits)
        names.push_back(hit.name);
    std::sort(names.begin(), names.end());
    // Each as SpamAssassin 4.0.1 fires it on the same message.
    // ToCc is one field a line, as 4.0.1 gives it (TOCC_LINES checked
    // against it; 3.4 joined them with ", ").
    CHECK(names == Names{"ALL_RAW", "FROM_NAME", "MSGID", "MSGID_RAW",
                         "TOCC_ADDR", "TOCC_EXISTS", "TOCC_LINES", "TOCC_RAW",
                         "TO_ADDRS", "TO_NAME", "tocc_lower"});
}

TEST_CASE("header folds read as spamassassin unfolds them") {
    TempDir dir;
    write_files(dir,
                {{"rules/t.cf",
                  "header ONE_SPACE Subject =~ /^Hello folded\\tWorld$/\n"
                  "header ALL_FOLDS Subject =~ /^Hello  folded/\n"
                  "header RAW_FOLD X-Raw:raw =~ "
                  "/^ =\\?UTF-8\\?B\\?w6l0w6k=\\?=\\n  second$/\n"
                  "header RAW_NO_FOLD X-Raw:raw =~ /=\\?=  second/\n"
                  "header DECODED X-Raw =~ /^\\xc3\\xa9t\\xc3\\xa9 second$/\n"
                  "header TO_TWO To:raw =~ /^  alice/\n"
                  "header TO_NONE To:raw =~ /^alice/\n"
                  "header TO_DECODED To =~ /^alice/\n"
                  "header TOCC_RAW ToCc:raw =~ /^  alice\\@a\\.example, b/\n"
                  "header ALL_RAW ALL:raw =~ /^Subject: Hello\\n  folded/m\n"
                  "header ALL_DECODED ALL =~ /^Subject: Hello folded\\t/m\n"
                  "header DUP X-Dup =~ /^one\\ntwo$/\n"
                  "header DUP_RAW X-Dup:raw =~ /^ one\\n two$/\n"}});
    RulesEngine engine(dir);
    // Each as SpamAssassin 4.0.1 fires it on the same message, with LF
    // line ends and with CR LF, but for ALL_RAW: SpamAssassin's ALL:raw
    // keeps the CR of a CR LF message, so "\n  folded" is not in it.
    for (std::string end : {"\n", "\r\n"}) {
        auto score = engine->score(
            "From: a@b.example" + end + "To:  alice@a.example," + end +
            "  bob@b.example" + end + "Subject: Hello" + end +
            "  folded\tWorld" + end + "X-Raw: =?UTF-8?B?w6l0w6k=?=" + end +
            "  second" + end + "X-Dup: one" + end + "X-Dup: two" + end + end +
            "body" + end);
        REQUIRE(score.ok());
        Names names;
        for (const Hit& hit : score->hits)
            names.push_back(hit.name);
        std::sort(names.begin(), names.end());
        CHECK(names == Names{"ALL_DECODED", "ALL_RAW", "DECODED", "DUP",
                             "DUP_RAW", "ONE_SPACE", "RAW_FOLD", "TOCC_RAW",
                             "TO_DECODED", "TO_TWO"});
    }
}

TEST_CASE("text after a pattern makes the rule malformed") {
    RuleSet rules = rules_from("body C2 /okword/ junk\n"
                               "rawbody R1 /okword/ && /other/\n"
                               "header H3 Subject =~ /s/ [bogus: x]\n"
                               "header H4 Subject =~ /s/ [if-unset: s] x\n"
                               "header H5 Subject =~ /s/ [if-unset: s]\n"
                               "uri U1 /x/i/\n");
    CHECK(problem_lines(rules) ==
          Names{"t.cf:1: C2: unexpected \"junk\" after the pattern",
                "t.cf:2: R1: unexpected \"&& /other/\" after the pattern",
                "t.cf:3: H3: unexpected \"[bogus: x]\" after the pattern",
                "t.cf:4: H4: unexpected \"[if-unset: s] x\" after the "
                "pattern",
                "t.cf:6: U1: unexpected \"/\" after the pattern"});
    CHECK(rules.size() == 1);
}

TEST_CASE("settings that change what happens to mail are reported") {
    RuleSet rules = rules_from("required_score 3.0\n"
                               "use_bayes 0\n"
                               "mimeheader MH Content-Type =~ /foo/\n"
                               "trusted_networks 10/8\n"
                               "rewrite_header Subject X\n"
                               "score NOSUCHRULE 7\n"
                               "whitelist_from *@example.com\n"
                               "whitelist_from *@example.net\n"
                               "meta M MH\n"
                               "uridnsbl URIBL_X multi.example. TXT\n"
                               "body TAGGED /<A>dult/\n"
                               "replace_rules TAGGED\n"
                               "loadplugin Mail::SpamAssassin::Plugin::X\n");
    CHECK(problem_lines(rules) ==
          Names{"t.cf:3: MH: mimeheader rules are not supported",
                "t.cf:10: URIBL_X: uridnsbl rules need DNS, which spam-score "
                "does not use",
                "t.cf:1: required_score is not supported; set thresholds.tag "
                "in the configuration instead",
                "t.cf:5: rewrite_header is not supported; set subject_tag in "
                "the configuration instead",
                "t.cf:4: trusted_networks is not supported; spam-score reads "
                "no relays",
                "t.cf:2: use_bayes is not supported; give --no-bayes instead",
                "t.cf:7: whitelist_from is not supported here and on 1 more "
                "line; set allow_senders in the configuration instead",
                "t.cf:11: TAGGED: replace_rules tags are not supported",
                "t.cf:9: M: uses MH, which was skipped; skipped too",
                "t.cf:6: NOSUCHRULE: has a score, but no rule defines it"});
}

TEST_CASE("allow lists by authentication or relay and include get advice") {
    RuleSet rules = rules_from("whitelist_auth *@bank.example\n"
                               "welcomelist_auth *@bank.example\n"
                               "def_whitelist_auth *@shop.example\n"
                               "def_welcomelist_auth *@shop.example\n"
                               "def_welcomelist_auth *@mail.example\n"
                               "whitelist_from_rcvd a@b.example b.example\n"
                               "welcomelist_from_rcvd a@b.example b.example\n"
                               "include local/extra.cf\n");
    const std::string auth =
        "spam-score checks no SPF or DKIM: set allow_senders in the "
        "configuration instead, which needs the envelope sender listed too";
    const std::string relay =
        "spam-score does not match senders to the relay that handed the "
        "mail in: set allow_senders in the configuration instead, which "
        "needs the envelope sender listed too";
    const std::string by_default =
        "spam-score checks no SPF or DKIM and keeps no default allow list: "
        "set allow_senders in the configuration for the senders you trust";
    CHECK(problem_lines(rules) ==
          Names{"t.cf:4: def_welcomelist_auth is not supported here and on "
                "1 more line; " +
                    by_default,
                "t.cf:3: def_whitelist_auth is not supported; " + by_default,
                "t.cf:8: include is not supported; spam-score reads only the "
                "rules folder and local_rules: name the file in local_rules "
                "(or --local-rules) instead",
                "t.cf:2: welcomelist_auth is not supported; " + auth,
                "t.cf:7: welcomelist_from_rcvd is not supported; " + relay,
                "t.cf:1: whitelist_auth is not supported; " + auth,
                "t.cf:6: whitelist_from_rcvd is not supported; " + relay});
}

TEST_CASE("a byte order mark does not hide the first directive") {
    RuleSet rules = rules_from("\xef\xbb\xbf"
                               "body FIRST /okword/\n");
    CHECK(rules.problems().empty());
    CHECK(fired_on(rules, body_view({"s", "okword"})) == Names{"FIRST"});
}

TEST_CASE("nesting and length limits say what they count") {
    auto nested = [](int depth, const std::string& inner) {
        return std::string(static_cast<size_t>(depth), '(') + inner +
               std::string(static_cast<size_t>(depth), ')');
    };
    std::string names = "A0";
    for (int i = 1; i < 4096; ++i)
        names += " + A" + std::to_string(i);
    std::string text = "if " + nested(64, "1") + "\nbody IF64 /x/\nendif\n" +
                       "if " + nested(65, "1") + "\nbody IF65 /x/\nendif\n" +
                       "if " + std::string(64, '!') + "!1\nbody NOT /x/\n" +
                       "endif\nmeta M128 " + nested(128, "A0") + "\n" +
                       "meta M129 " + nested(129, "A0") + "\n" + "meta N4096 " +
                       names + "\n" + "meta N4097 " + names + " + A4096\n";
    for (int i = 0; i <= 4096; ++i)
        text += "body A" + std::to_string(i) + " /a/\n";
    RuleSet rules = rules_from(text);
    CHECK(problem_lines(rules) ==
          Names{"t.cf:4: an if line is nested more than 64 deep",
                "t.cf:7: an if line is nested more than 64 deep",
                "t.cf:11: M129: nested more than 128 deep",
                "t.cf:13: N4097: expression has more than 4096 rule names "
                "and numbers"});
    CHECK(rules.find("IF64") != nullptr);
    CHECK(rules.find("IF65") == nullptr);
    CHECK(rules.find("NOT") == nullptr);
    CHECK(rules.find("M128") != nullptr);
    CHECK(fired_on(rules, body_view({"s", "a"})).size() == 4097 + 2);
}

TEST_CASE("rules beyond the total memory are reported and skipped") {
    std::string text = "body LIGHT /light/\n";
    for (int i = 0; i < 40; ++i)
        text += fmt::format("body HEAVY{} /a.{{20,200}}b\\d{{3}}[^.]{{0,80}}"
                            "c{}/\n",
                            i, i);
    RuleSet rules;
    rules.load_text(text, "t.cf");
    rules.compile(size_t{64} << 20, size_t{4} << 20);
    auto lines = problem_lines(rules);
    REQUIRE(!lines.empty());
    for (const std::string& line : lines)
        CHECK(line.find(": does not fit in what is left of rules_memory_mib "
                        "(4 MiB)") != std::string::npos);
    CHECK(lines.back() == "t.cf:41: HEAVY39: does not fit in what is left of "
                          "rules_memory_mib (4 MiB)");
    CHECK(rules.memory_bytes() <= size_t{4} << 20);
    CHECK(rules.size() + lines.size() == 41);
    // The rules read first are kept, and match as ever.
    MessageView view =
        body_view({"s", "light a" + std::string(25, 'x') + "b123zzc0"});
    CHECK(fired_on(rules, view) == Names{"HEAVY0", "LIGHT"});
}
