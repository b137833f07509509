// Declared configuration keys: dotted paths, wildcards below a table, and
// the same paths at domain and user level.
#include "core/config.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;
using Problems = std::vector<std::string>;

namespace {

// The keys spam-score reads, as a tool with levels declares them.
const config::Keys spam_keys{"spam-score",
                             {"rules_dir", "bayes.min_learned",
                              "thresholds.tag", "thresholds.reject",
                              "allow_senders", "locked", "allow_looser"}};

} // namespace

TEST_CASE("declared dotted keys pass and a misspelt one is named with its "
          "line") {
    config::Config config;
    config.path = "p.toml";
    config.root = toml::parse("[spam-score]\n"
                              "thresholds.tag = 5\n"
                              "bayes.min_learnd = 3\n"
                              "thresholds.reject = 9\n");
    config.keys = spam_keys;
    CHECK(config::unknown_keys(config) ==
          Problems{"p.toml:3: unknown key \"bayes.min_learnd\" in "
                   "[spam-score]"});
}

TEST_CASE("a wildcard admits any key below its table and nothing beside "
          "it") {
    config::Keys keys{"policy-check", {"thresholds.*"}};
    auto table = toml::parse("thresholds.anything = 1\nthreshold = 2\n");
    CHECK(config::unknown_keys(table, keys, "f", "policy-check") ==
          Problems{"f:2: unknown key \"threshold\" in [policy-check]"});
}

TEST_CASE("unknown sections of the main file are named and programs' "
          "sections are not") {
    config::Config config;
    config.path = "p.toml";
    config.root = toml::parse("[limits]\n[av-scan]\n[spam_score]\n");
    CHECK(config::unknown_keys(config) ==
          Problems{"p.toml:3: unknown section \"spam_score\""});
}

TEST_CASE("domain and user tables are checked against the same key paths") {
    config::Config config;
    config.keys = spam_keys;
    auto domain = toml::parse("[spam-score]\n"
                              "thresholds.tag = 4\n"
                              "thresholds.tga = 4\n"
                              "[users.\"bob@example.com\".spam-score]\n"
                              "thresholds.reject = 20\n"
                              "alow_looser = [\"x\"]\n");
    CHECK(config::unknown_domain_keys(config, domain, "d.toml") ==
          Problems{"d.toml:3: unknown key \"thresholds.tga\" in [spam-score]",
                   "d.toml:6: unknown key \"alow_looser\" in "
                   "[users.\"bob@example.com\".spam-score]"});
}

TEST_CASE("a quoted dotted key is one unknown key, not the path it looks "
          "like") {
    config::Config config;
    config.keys = spam_keys;
    auto domain = toml::parse("[spam-score]\n"
                              "\"thresholds.reject\" = 30\n"
                              "[users.\"bob@example.com\".spam-score]\n"
                              "thresholds.\"tag\" = 20\n"
                              "'thresholds.tag' = 20\n");
    CHECK(config::unknown_domain_keys(config, domain, "d.toml") ==
          Problems{"d.toml:2: unknown key \"\\\"thresholds.reject\\\"\" in "
                   "[spam-score] (a quoted key with dots)",
                   "d.toml:5: unknown key \"\\\"thresholds.tag\\\"\" in "
                   "[users.\"bob@example.com\".spam-score] (a quoted key "
                   "with dots)"});
}

TEST_CASE("entries of locked and allow_looser must name settings") {
    config::Config config;
    config.path = "p.toml";
    config.keys = spam_keys;
    config.root = toml::parse("[spam-score]\n"
                              "locked = [\"thresholds.reject\",\n"
                              "          \"thresholds.rejct\"]\n"
                              "allow_looser = [\"thresholds\", "
                              "\"allow_senders\"]\n");
    CHECK(config::unknown_keys(config) ==
          Problems{"p.toml:3: unknown key \"thresholds.rejct\" in locked of "
                   "[spam-score]",
                   "p.toml:4: unknown key \"thresholds\" in allow_looser of "
                   "[spam-score]"});
    // Below a wildcard or a key declared whole, any name will do.
    config.keys = {"policy-check",
                   {"rule", "disable", "thresholds.*", "allow_looser"}};
    config.root = toml::parse("[policy-check]\nallow_looser = "
                              "[\"rule.exe\", \"thresholds.words\", "
                              "\"disable\", \"rules.x\"]\n");
    CHECK(config::unknown_keys(config) ==
          Problems{"p.toml:2: unknown key \"rules.x\" in allow_looser of "
                   "[policy-check]"});
}

TEST_CASE("a relative path in the configuration is taken from its folder") {
    config::Config config;
    config.path = "/etc/portcullis/portcullis.toml";
    config.root =
        toml::parse("rules_dir = \"rules\"\n"
                    "abs = \"/usr/share/rules\"\n"
                    "empty = \"\"\nnumber = 3\n",
                    std::string_view("/etc/portcullis/portcullis.toml"));
    auto path = [&](const char* key) {
        return config::path_value(config, *config.root.get(key), key);
    };
    CHECK(*path("rules_dir") == "/etc/portcullis/rules");
    CHECK(*path("abs") == "/usr/share/rules");
    CHECK(path("empty").error().text() ==
          "/etc/portcullis/portcullis.toml:3: empty is empty");
    CHECK(path("number").error().text() ==
          "/etc/portcullis/portcullis.toml:4: number must be a path (a "
          "string)");
    config.path = "portcullis.toml";
    CHECK(config::resolve_path(config, "rules") == "rules");
    config.path = "conf/p.toml";
    CHECK(config::resolve_path(config, "rules") == "conf/rules");
    config.path.clear();
    CHECK(config::resolve_path(config, "rules") == "rules");
}

TEST_CASE("a number out of its range is named with the range") {
    constexpr config::KeyKind kinds[] = {
        {"low", config::Kind::number, {.min = 0, .min_open = true}},
        {"band",
         config::Kind::number,
         {.min = 0, .max = 0.5, .max_open = true}},
        {"few", config::Kind::count, {.min = 1}},
        {"any", config::Kind::number}};
    auto table = toml::parse("low = 0\nband = 0.5\nfew = 0\nany = -7\n");
    auto problems = config::kind_problems(table, kinds);
    REQUIRE(problems.size() == 3);
    CHECK(problems[0].second == "-:1: low must be a number, above 0");
    CHECK(problems[1].second ==
          "-:2: band must be a number, at least 0 and below 0.5");
    CHECK(problems[2].second == "-:3: few must be a whole number, 1 or more");
    auto inside = toml::parse("low = 1e-9\nband = 0\nfew = 1\n");
    CHECK(config::kind_problems(inside, kinds).empty());
}

TEST_CASE("a table given a value is named once as such, never as unknown") {
    constexpr config::KeyKind kinds[] = {
        {"bayes.min_learned", config::Kind::count},
        {"bayes.max_tokens", config::Kind::count}};
    auto table = toml::parse("bayes = 5\n");
    auto problems = config::kind_problems(table, kinds);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].second == "-:1: bayes must be a table of settings");
    CHECK(config::unknown_keys(table, spam_keys, "f", "spam-score").empty());
}
