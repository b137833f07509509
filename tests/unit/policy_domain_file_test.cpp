// policy-check and domain files that cannot be read: only the mail they
// govern is held, and --check reads a domain file as a run does.
#include "policy_check.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

using namespace portcullis;
using portcullis::testing::TempDir;

namespace {

// example.com is ours; every report is quarantined at system level, so a
// recipient whose rules were read is told apart from one held.
const char* system_toml = R"(local_domains = ["example.com", "example.net"]
[policy-check]
policies = []
[[policy-check.rule]]
id = "hold-reports"
action = "quarantine"
header.Subject = "(?i)report"
)";

const char* unreadable_text = "the policy of example.com could not be read; "
                              "the mail it applies to is held for a retry";

/// A checker configured by p.toml in a folder, with domains/ beside it.
class Gateway {
public:
    explicit Gateway(const TempDir& dir,
                     filter::OutputForm form = filter::OutputForm::json) {
        auto loaded = config::load(dir.path + "/p.toml", true);
        REQUIRE(loaded.ok());
        config_ = std::move(*loaded);
        config_.keys = policy_check::config_keys;
        options_.common.form = form;
        auto checker = policy_check::Checker::create(options_, config_);
        REQUIRE(checker.ok());
        checker_ = std::move(*checker);
    }

    /// Judges a report from sender to rcpt.
    Result<filter::Outcome> handle(const std::vector<std::string>& rcpt,
                                   const std::string& sender = "a@other.org") {
        stream::Record record;
        record.envelope["mail_from"] = sender;
        record.envelope["rcpt"] = rcpt;
        record.message = "From: " + sender + "\nSubject: Report\n\nhello\n";
        return checker_->handle(record);
    }

    /// The verdict on a report from sender to rcpt.
    nlohmann::ordered_json verdict(const std::vector<std::string>& rcpt,
                                   const std::string& sender = "a@other.org") {
        auto outcome = handle(rcpt, sender);
        REQUIRE(outcome.ok());
        return outcome->verdict;
    }

private:
    config::Config config_; // the checker keeps references to both
    policy_check::Options options_;
    std::unique_ptr<policy_check::Checker> checker_;
};

std::vector<std::string> reason_ids(const nlohmann::ordered_json& verdict) {
    std::vector<std::string> out;
    for (const auto& reason : verdict["reasons"])
        out.push_back(reason["id"]);
    return out;
}

} // namespace

TEST_CASE("a broken domain file holds only its own recipients") {
    TempDir dir;
    dir.write("p.toml", system_toml);
    dir.write("domains/example.com.toml", "[[[\n");
    Gateway gateway(dir);
    auto verdict = gateway.verdict({"bob@example.com", "carol@example.net"});
    CHECK(verdict["action"] == "quarantine");
    CHECK(verdict["rcpt"] ==
          nlohmann::ordered_json::parse(
              R"({"bob@example.com":{"action":"tempfail"}})"));
    CHECK(reason_ids(verdict) ==
          std::vector<std::string>{"DOMAIN_POLICY_UNREADABLE", "hold-reports"});
    CHECK(verdict["reasons"][0]["text"] == unreadable_text);
}

TEST_CASE("a held recipient's reason carries no server path, the log does") {
    TempDir dir;
    dir.write("p.toml", system_toml);
    std::string file = dir.write("domains/example.com.toml", "[[[\n");
    Gateway gateway(dir);
    auto outcome = gateway.handle({"bob@example.com", "carol@example.net"});
    REQUIRE(outcome.ok());
    CHECK(outcome->verdict.dump().find(file) == std::string::npos);
    CHECK(outcome->verdict.dump().find("parsing") == std::string::npos);
    auto held = std::find_if(
        outcome->events.begin(), outcome->events.end(),
        [](const auto& event) { return event.second.contains("error"); });
    REQUIRE(held != outcome->events.end());
    CHECK(held->first == "policy");
    CHECK(held->second["domain"] == "example.com");
    CHECK(held->second["action"] == "tempfail");
    CHECK(held->second["rcpt"] == "bob@example.com");
    CHECK(held->second["error"].get<std::string>().starts_with(file + ":1: "));
}

TEST_CASE("a message whose every recipient's domain file is broken is held") {
    TempDir dir;
    dir.write("p.toml", system_toml);
    dir.write("domains/example.com.toml", "[[[\n");
    dir.write("domains/example.net.toml",
              "[policy-check]\ndisable = \"hold-reports\"\n");
    Gateway gateway(dir);
    auto verdict = gateway.verdict(
        {"bob@example.com", "dan@example.com", "carol@example.net"});
    CHECK(verdict["action"] == "tempfail");
    CHECK_FALSE(verdict.contains("rcpt"));
    CHECK(reason_ids(verdict) ==
          std::vector<std::string>{"DOMAIN_POLICY_UNREADABLE",
                                   "DOMAIN_POLICY_UNREADABLE"});
    CHECK(verdict["reasons"][1]["text"] ==
          "the policy of example.net could not be read; the mail it applies "
          "to is held for a retry");
}

TEST_CASE("a broken user table holds that user alone") {
    TempDir dir;
    dir.write("p.toml", system_toml);
    dir.write("domains/example.com.toml",
              "[users.\"bob@example.com\".policy-check]\n"
              "[[users.\"bob@example.com\".policy-check.rule]]\n"
              "id = \"x\"\n");
    Gateway gateway(dir);
    auto verdict = gateway.verdict({"bob@example.com", "dan@example.com"});
    CHECK(verdict["action"] == "quarantine");
    CHECK(verdict["rcpt"] ==
          nlohmann::ordered_json::parse(
              R"({"bob@example.com":{"action":"tempfail"}})"));
}

TEST_CASE("a broken user table is named as the user's policy, not the "
          "domain's") {
    // It was DOMAIN_POLICY_UNREADABLE, "the policy of example.com", and
    // logged as domain=example.com, though the domain's rules were read.
    TempDir dir;
    dir.write("p.toml", system_toml);
    std::string file =
        dir.write("domains/example.com.toml",
                  "[users.\"bob@example.com\".policy-check]\n"
                  "[[users.\"bob@example.com\".policy-check.rule]]\n"
                  "id = \"x\"\n");
    Gateway gateway(dir);
    auto outcome = gateway.handle({"bob@example.com", "dan@example.com"});
    REQUIRE(outcome.ok());
    CHECK(reason_ids(outcome->verdict) ==
          std::vector<std::string>{"USER_POLICY_UNREADABLE", "hold-reports"});
    CHECK(outcome->verdict["reasons"][0]["text"] ==
          "the policy of bob@example.com could not be read; the mail it "
          "applies to is held for a retry");
    auto held = std::find_if(
        outcome->events.begin(), outcome->events.end(),
        [](const auto& event) { return event.second.contains("error"); });
    REQUIRE(held != outcome->events.end());
    CHECK(held->second["user"] == "bob@example.com");
    CHECK_FALSE(held->second.contains("domain"));
    CHECK(held->second["rcpt"] == "bob@example.com");
    CHECK(held->second["error"].get<std::string>().starts_with(file + ":"));

    // Bob's outbound mail follows his own table: all of it is held, for
    // him, and dan's is judged.
    auto sent =
        gateway.verdict({"x@other.org", "y@other.net"}, "bob@example.com");
    CHECK(sent["action"] == "tempfail");
    CHECK(reason_ids(sent) ==
          std::vector<std::string>{"USER_POLICY_UNREADABLE"});
    CHECK(gateway.verdict({"x@other.org"}, "dan@example.com")["action"] ==
          "quarantine");
}

TEST_CASE("a broken domain table is the domain's, whatever its users hold") {
    TempDir dir;
    dir.write("p.toml", system_toml);
    dir.write("domains/example.com.toml",
              "[[policy-check.rule]]\nid = \"y\"\n"
              "[users.\"bob@example.com\".policy-check]\n"
              "[[users.\"bob@example.com\".policy-check.rule]]\n"
              "id = \"x\"\n");
    Gateway gateway(dir);
    auto verdict = gateway.verdict({"bob@example.com", "carol@example.net"});
    CHECK(reason_ids(verdict) ==
          std::vector<std::string>{"DOMAIN_POLICY_UNREADABLE", "hold-reports"});
    CHECK(verdict["reasons"][0]["text"] == unreadable_text);
}

TEST_CASE("outbound mail of a domain with a broken file is held for all") {
    // The sender's domain decides what its users may send, so no
    // recipient of it can be judged without that file.
    TempDir dir;
    dir.write("p.toml", system_toml);
    dir.write("domains/example.com.toml", "[[[\n");
    Gateway gateway(dir);
    auto verdict =
        gateway.verdict({"x@other.org", "y@other.net"}, "bob@example.com");
    CHECK(verdict["action"] == "tempfail");
    CHECK_FALSE(verdict.contains("rcpt"));
    CHECK(reason_ids(verdict) ==
          std::vector<std::string>{"DOMAIN_POLICY_UNREADABLE"});
}

TEST_CASE("a headed message whose domain file is broken is handed back") {
    // --headers has no rcpt to hold one recipient by: the whole message
    // goes back unjudged with exit 75, never out as a pass.
    TempDir dir;
    dir.write("p.toml", system_toml);
    std::string file = dir.write("domains/example.com.toml", "[[[\n");
    Gateway gateway(dir, filter::OutputForm::headers);
    auto outcome = gateway.handle({"bob@example.com", "carol@example.net"});
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.error().exit_code == ExitCode::temp_fail);
    CHECK(outcome.error().text().starts_with(file + ":1: "));
}

TEST_CASE("check knows a domain file by the folder it is in") {
    TempDir dir;
    policy_check::Options options;
    options.common.config_path = dir.path + "/p.toml";
    options.check_file = dir.path + "/domains/example.com.toml";
    CHECK(policy_check::is_domain_file(options));
    options.check_file = dir.path + "/elsewhere/domains/example.com.toml";
    CHECK(policy_check::is_domain_file(options));
    options.check_file = dir.path + "/p.toml";
    CHECK_FALSE(policy_check::is_domain_file(options));
    options.check_file = dir.path + "/incoming/example.com.toml";
    CHECK_FALSE(policy_check::is_domain_file(options));
    dir.write("incoming/example.com.toml", "");
    options.domains_dir = dir.path + "/incoming/.";
    CHECK(policy_check::is_domain_file(options));
}

TEST_CASE("check never opens a policy file a domain file names") {
    // A run ignores policies in a domain file; a check that followed
    // them made whoever checked the file open and quote another.
    TempDir dir;
    dir.write("p.toml", system_toml);
    std::string secret = dir.write("secret.toml", "root: x\n");
    std::string file = dir.write(
        "domains/example.com.toml",
        "[policy-check]\npolicies = [\"" + secret + "\"]\n" +
            "[[policy-check.rule]]\nid = \"no-exe\"\naction = \"reject\"\n"
            "attachment.extensions = [\"exe\"]\n"
            "[[users.\"bob@example.com\".policy-check.rule]]\n"
            "id = \"no-zip\"\naction = \"quarantine\"\n"
            "attachment.extensions = [\"zip\"]\n");
    auto config = config::load(dir.path + "/p.toml", true);
    REQUIRE(config.ok());
    config->keys = policy_check::config_keys;
    policy_check::Options options;
    options.check_file = file;
    auto summary = policy_check::check_domain_file(options, *config);
    REQUIRE(summary.ok());
    CHECK(*summary == file + ": ok, 2 rules");
}

TEST_CASE("check fails a domain file whose user rule a run cannot read") {
    TempDir dir;
    dir.write("p.toml", system_toml);
    std::string file =
        dir.write("domains/example.com.toml",
                  "[users.\"bob@example.com\".policy-check]\n"
                  "[[users.\"bob@example.com\".policy-check.rule]]\n"
                  "id = \"x\"\n");
    auto config = config::load(dir.path + "/p.toml", true);
    REQUIRE(config.ok());
    config->keys = policy_check::config_keys;
    policy_check::Options options;
    options.check_file = file;
    auto summary = policy_check::check_domain_file(options, *config);
    REQUIRE_FALSE(summary.ok());
    CHECK(summary.error().exit_code == ExitCode::config);
    CHECK(summary.error().context == file + ":2");
}

TEST_CASE("check refuses a domain file no recipient's domain would find") {
    TempDir dir;
    dir.write("p.toml", system_toml);
    auto config = config::load(dir.path + "/p.toml", true);
    REQUIRE(config.ok());
    policy_check::Options options;
    for (const char* name : {"Example.COM.toml", "example.com.tml",
                             "bücher.example.toml", ".hidden.toml"}) {
        INFO(name);
        options.check_file = dir.write(std::string("domains/") + name, "");
        auto summary = policy_check::check_domain_file(options, *config);
        REQUIRE_FALSE(summary.ok());
        CHECK(summary.error().text() ==
              options.check_file +
                  ": no recipient's domain finds this file: a domain file is "
                  "named DOMAIN.toml, the domain in lower case (an A-label "
                  "when internationalised)");
    }
}
