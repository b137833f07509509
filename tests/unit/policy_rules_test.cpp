// Policy rules: what a rule may hold, how patterns match, and which
// mistakes are errors at their line.
#include "policy_rules.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <sstream>

using namespace portcullis;
using policy::AddressPattern;

namespace {

Result<policy::Policy> read(std::string_view text) {
    toml::table table = toml::parse(text, std::string_view("p.toml"));
    return policy::read_rules(table, "system", [](const toml::node& node) {
        return "p.toml:" + std::to_string(node.source().begin.line);
    });
}

std::string error_of(std::string_view text) {
    auto policy = read(text);
    REQUIRE_FALSE(policy.ok());
    return policy.error().text();
}

AddressPattern pattern(AddressPattern::Kind kind, std::string text) {
    return AddressPattern{std::move(text), kind};
}

} // namespace

TEST_CASE("address patterns match an address, a domain or subdomains") {
    auto exact = pattern(AddressPattern::exact, "bob@example.com");
    CHECK(exact.matches("Bob@Example.COM"));
    CHECK_FALSE(exact.matches("bob@example.com.evil.example"));
    auto domain = pattern(AddressPattern::domain, "example.com");
    CHECK(domain.matches("x@EXAMPLE.com"));
    CHECK_FALSE(domain.matches("x@mail.example.com"));
    auto below = pattern(AddressPattern::subdomains, "example.com");
    CHECK(below.matches("x@mail.example.com"));
    CHECK(below.matches("x@example.com"));
    CHECK_FALSE(below.matches("x@badexample.com"));
}

TEST_CASE("internationalised address patterns match every form of them") {
    auto policy = read("[[rule]]\nid='i'\naction='quarantine'\n"
                       "from = ['josé@example.net', 'Bücher.example',\n"
                       "        '*.MÜNCHEN.example']\n");
    REQUIRE(policy.ok());
    const auto& from = policy->rules[0]->addresses.at("from");
    REQUIRE(from.size() == 3);
    CHECK(from[0].matches("josé@example.net"));
    CHECK(from[0].matches("<\"josé\"@EXAMPLE.net.>"));
    CHECK(from[0].written == "josé@example.net");
    CHECK_FALSE(from[0].matches("jose@example.net"));
    CHECK(from[1].matches("x@bücher.example"));
    CHECK(from[1].matches("x@xn--bcher-kva.example"));
    CHECK(from[1].matches("x@BÜCHER.example."));
    CHECK_FALSE(from[1].matches("x@bucher.example"));
    CHECK(from[2].matches("x@mail.xn--mnchen-3ya.example"));
    CHECK(from[2].matches("x@München.example"));
}

TEST_CASE("networks contain the addresses under their prefix") {
    auto policy = read("[[rule]]\nid='c'\naction='quarantine'\n"
                       "client=['192.0.2.0/24','2001:db8::/32']\n");
    REQUIRE(policy.ok());
    const auto& clients = policy->rules[0]->clients;
    auto holds = [&](std::string_view ip) {
        return clients.contains(*net::parse_address(ip));
    };
    CHECK(holds("192.0.2.77"));
    CHECK_FALSE(holds("192.0.3.1"));
    CHECK(holds("2001:db8::1"));
    CHECK_FALSE(holds("2001:db9::1"));
    CHECK_FALSE(holds("::ffff:192.0.3.1"));
}

TEST_CASE("a rule reads every condition and its action") {
    auto policy = read(R"(
[[rule]]
id = "r1"
direction = ["inbound", "internal"]
from = ["@example.org", "*.example.net", "a@example.com"]
header.Subject = "(?i)invoice"
words = { list = "confidential", threshold = 3 }
attachment.extensions = [".EXE", "scr"]
attachment.types = ["application/x-dosexec"]
action = "redirect"
redirect_to = "review@example.com"
)");
    REQUIRE(policy.ok());
    const policy::Rule& rule = *policy->rules[0];
    CHECK(rule.where == "p.toml:2");
    CHECK(rule.applies(policy::Direction::internal));
    CHECK_FALSE(rule.applies(policy::Direction::outbound));
    REQUIRE(rule.addresses.at("from").size() == 3);
    CHECK(rule.addresses.at("from")[1].kind == AddressPattern::subdomains);
    CHECK(rule.words[0].threshold == 3);
    CHECK(rule.attachment->extensions ==
          std::vector<std::string>{"exe", "scr"});
    CHECK(rule.action == policy::RuleAction::redirect);
    CHECK(policy::delivery_action(rule.action) == verdict::Action::redirect);
}

TEST_CASE("mistakes in rules are errors at their line") {
    CHECK(error_of("[[rule]]\naction='reject'\n") ==
          "p.toml:1: rule needs an id (a string)");
    CHECK(error_of("[[rule]]\nid='a b'\naction='reject'\n") ==
          "p.toml:2: rule id \"a b\" may hold only letters, digits, '-', "
          "'_' and '.'");
    // Written in X-Portcullis-Policy, which folds only between ids.
    CHECK(error_of("[[rule]]\nid='" + std::string(201, 'x') +
                   "'\naction='reject'\n") ==
          "p.toml:2: rule id is longer than 200 bytes");
    CHECK(
        read("[[rule]]\nid='" + std::string(200, 'x') + "'\naction='reject'\n")
            .ok());
    CHECK(error_of("[[rule]]\nid='a'\naction='reject'\n[[rule]]\nid='a'\n"
                   "action='reject'\n") ==
          "p.toml:4: rule id \"a\" is used twice");
    CHECK(error_of("[[rule]]\nid='a'\naction='tag'\n") ==
          "p.toml:1: action tag needs subject_tag or add_header");
    CHECK(error_of("[[rule]]\nid='a'\naction='tag'\n"
                   "subject_tag=\"[x]\\r\\nBcc: all@example.com\"\n") ==
          "p.toml:4: subject_tag must be one line");
    CHECK(error_of("[[rule]]\nid='a'\naction='strip'\n") ==
          "p.toml:1: action strip needs an attachment condition");
    CHECK(error_of("[[rule]]\nid='a'\naction='copy'\ncopy_to='nobody'\n") ==
          "p.toml:4: copy_to \"nobody\" is not an address");
    CHECK(error_of("[[rule]]\nid='a'\naction='reject'\ndirection='up'\n") ==
          "p.toml:4: direction \"up\" is not inbound, outbound, internal or "
          "both");
    CHECK(error_of("[[rule]]\nid='a'\naction='reject'\nclient='300.1.1.1'\n") ==
          "p.toml:4: \"300.1.1.1\" is not an IP address or network "
          "(192.0.2.0/24, 2001:db8::/32)");
    CHECK(error_of("[[rule]]\nid='a'\naction='reject'\nwords='../etc'\n") ==
          "p.toml:4: words needs a list name (a file in the word list "
          "folder, without '/' or '.')");
    CHECK(error_of("[[rule]]\nid='a'\naction='reject'\n"
                   "attachment.size=3\n") ==
          "p.toml:4: unknown attachment key \"size\"");
}

TEST_CASE("a setting of the wrong type is named with its type and line") {
    CHECK(error_of("[[rule]]\nid='a'\naction='reject'\n"
                   "attachment.tricks='yes'\n") ==
          "p.toml:4: attachment.tricks must be true or false");
    CHECK(error_of("[[rule]]\nid='a'\naction='reject'\n"
                   "attachment.extensions=['exe']\n"
                   "attachment.in_archives=0\n") ==
          "p.toml:5: attachment.in_archives must be true or false");
    CHECK(error_of("[[rule]]\nid='a'\naction='reject'\n"
                   "attachment.larger_than='10MB'\n") ==
          "p.toml:4: attachment.larger_than must be a number of bytes");
    CHECK(error_of("[[rule]]\nid='a'\naction='reject'\nbody='x'\n"
                   "description=['why']\n") ==
          "p.toml:5: description must be a string");
    CHECK(error_of("[[rule]]\nid='a'\naction='reject'\nwords=5\n") ==
          "p.toml:4: words must be a list name, { list = \"NAME\", "
          "threshold = N } or a list of them");
    CHECK(error_of("[[rule]]\nid='a'\naction='reject'\n"
                   "words={list=5}\n") ==
          "p.toml:4: words.list must be a string");
    CHECK(error_of("[[rule]]\nid='a'\naction='reject'\n"
                   "words=[\n  'blocked',\n  {list='x', treshold=2},\n]\n") ==
          "p.toml:6: unknown words key \"treshold\"");
}

TEST_CASE("a bad value is named at its own line, a missing one at the rule") {
    CHECK(error_of("[[rule]]\nid='a'\naction='reject'\n\n"
                   "reject_text='250 ok'\n") ==
          "p.toml:5: reject_text must start with a 5xx code and a space");
    CHECK(error_of("[[rule]]\nid='a'\naction='redirect'\nbody='x'\n"
                   "redirect_to='nobody'\n") ==
          "p.toml:5: redirect_to \"nobody\" is not an address");
    CHECK(error_of("[[rule]]\nid='a'\naction='tag'\nbody='x'\n"
                   "add_header='X-Flag'\n") ==
          "p.toml:5: add_header must read \"Name: value\"");
    CHECK(error_of("[[rule]]\nid='a'\naction='redirect'\nbody='x'\n") ==
          "p.toml:1: action redirect needs redirect_to");
    // Each entry of a list is named at its own line.
    CHECK(error_of("[[rule]]\nid='a'\naction='reject'\n"
                   "from=[\n  'a@example.com',\n  '*bad.example',\n]\n") ==
          "p.toml:6: \"*bad.example\" is not an address, domain, @domain "
          "or *.domain");
    CHECK(error_of("[[rule]]\nid='a'\naction='reject'\n"
                   "client=[\n  '192.0.2.0/24',\n  '300.1.1.1',\n]\n") ==
          "p.toml:6: \"300.1.1.1\" is not an IP address or network "
          "(192.0.2.0/24, 2001:db8::/32)");
    CHECK(error_of("[[rule]]\nid='a'\naction='reject'\n"
                   "header.Subject=[\n  'ok',\n  '(unclosed',\n]\n") ==
          "p.toml:6: bad pattern \"(unclosed\": missing ): (unclosed");
    CHECK(error_of("[[rule]]\nid='a'\naction='reject'\n"
                   "body=[\n  'ok',\n  '(unclosed',\n]\n") ==
          "p.toml:6: bad pattern \"(unclosed\": missing ): (unclosed");
}

TEST_CASE("a word list is named at the line of the setting naming it") {
    auto policy = read("[[rule]]\nid='a'\naction='reject'\n"
                       "words=[\n  'blocked',\n  {list='nosuchlist'},\n]\n");
    REQUIRE(policy.ok());
    REQUIRE(policy->rules.size() == 1);
    REQUIRE(policy->rules[0]->words.size() == 2);
    CHECK(policy->rules[0]->words[0].where == "p.toml:5");
    CHECK(policy->rules[0]->words[1].where == "p.toml:6");
}

TEST_CASE("rules that could never fire are errors at their line") {
    CHECK(error_of("[[rule]]\nid='a'\naction='quarantine'\n"
                   "anomaly=['BODY_TEXT_TRUNCATED',\n"
                   "  'MULTIPLE_FROM_HEADER']\n") ==
          "p.toml:5: unknown anomaly \"MULTIPLE_FROM_HEADER\"");
    CHECK(error_of("[[rule]]\nid='a'\naction='reject'\n"
                   "attachment.types=['application/x-dosexec',\n"
                   "  'application x-dosexec']\n") ==
          "p.toml:5: attachment.types \"application x-dosexec\" is not a "
          "type/subtype or type/*");
    CHECK(error_of("[[rule]]\nid='a'\naction='reject'\n"
                   "attachment.types='video/mp4*'\n") ==
          "p.toml:4: attachment.types \"video/mp4*\" is not a type/subtype "
          "or type/*");
    CHECK(error_of("[[rule]]\nid='a'\naction='reject'\n"
                   "attachment.extensions=['tar.gz']\n") ==
          "p.toml:4: attachment.extensions \"tar.gz\" is not one extension "
          "(such as \"exe\")");
}

TEST_CASE("every finding policy-check raises may be named by a rule") {
    std::ifstream in(std::string(PORTCULLIS_TEST_DIR) +
                     "/../tools/policy-check/policy_message.cpp");
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    std::string source = text.str();
    const std::regex id("\"([A-Z][A-Z0-9]*_[A-Z0-9_]+)\"");
    for (std::sregex_iterator it(source.begin(), source.end(), id), end;
         it != end; ++it) {
        INFO((*it)[1].str());
        CHECK(policy::is_finding((*it)[1].str()));
    }
    for (const char* field : {"FROM", "REPLY_TO", "TO", "CC"})
        CHECK(policy::is_finding(std::string("INVALID_") + field));
}

TEST_CASE("types and extensions are read in one case without blanks, and "
          "name patterns ignore case") {
    auto policy = read(R"(
[[rule]]
id = "r1"
action = "reject"
attachment.types = ["Application/X-DOSEXEC", "application/x-msi ", "video/*"]
attachment.extensions = [" .JS "]
attachment.names = ["\\.JS$"]
anomaly = ["INVALID_FROM", "DUPLICATE_CTE", "ARCHIVE_LIMIT"]
)");
    REQUIRE(policy.ok());
    const policy::AttachmentCondition& condition =
        *policy->rules[0]->attachment;
    CHECK(condition.types == std::vector<std::string>{"application/x-dosexec",
                                                      "application/x-msi",
                                                      "video/*"});
    CHECK(condition.extensions == std::vector<std::string>{"js"});
    CHECK(RE2::PartialMatch("a.js", *condition.names[0].re));
}

TEST_CASE("a pattern that would backtrack is linear under RE2") {
    auto policy = read("[[rule]]\nid='a'\naction='reject'\n"
                       "body='(a+)+$'\n");
    REQUIRE(policy.ok());
    std::string text(100000, 'a');
    text += 'b';
    CHECK_FALSE(RE2::PartialMatch(text, *policy->rules[0]->body[0].re));
}
