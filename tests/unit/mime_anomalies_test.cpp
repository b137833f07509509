// The anomaly table is whole, and the default policy holds every anomaly
// that says the message was read two ways or not read in full.
#include "mail/anomalies.hpp"
#include "policy_rules.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

using namespace portcullis;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

TEST_CASE("every anomaly id the strict reading raises is in the table") {
    // Ids are quoted upper-case words with an underscore; the files are
    // the strict parse's own.
    const std::regex id("\"([A-Z][A-Z0-9]*_[A-Z0-9_]+)\"");
    for (const char* file : {"mime.cpp", "mime_bound.cpp", "mime_inspect.cpp",
                             "mime_scan.cpp", "filename.cpp"}) {
        std::string source =
            slurp(std::string(PORTCULLIS_TEST_DIR) + "/../lib/mail/" + file);
        for (std::sregex_iterator it(source.begin(), source.end(), id), end;
             it != end; ++it) {
            INFO(file << " raises " << (*it)[1].str());
            CHECK(mime::anomaly_kind((*it)[1].str()));
        }
    }
}

TEST_CASE("the default policy holds every anomaly that is not a notice, "
          "both ways and locked") {
    auto policy = policy::load_policy_file(std::string(PORTCULLIS_TEST_DIR) +
                                           "/../share/policies/default.toml");
    REQUIRE(policy.ok());
    for (const mime::AnomalyInfo& info : mime::known_anomalies()) {
        if (info.kind == mime::AnomalyKind::notice)
            continue;
        INFO(info.id);
        bool held = std::any_of(
            policy->rules.begin(), policy->rules.end(), [&](const auto& rule) {
                const auto& ids = rule->anomalies;
                return std::find(ids.begin(), ids.end(), info.id) !=
                           ids.end() &&
                       rule->action == policy::RuleAction::quarantine &&
                       rule->directions.empty() && rule->locked;
            });
        CHECK(held);
    }
}
