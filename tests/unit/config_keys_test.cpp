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
