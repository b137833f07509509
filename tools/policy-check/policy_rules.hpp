// A policy: rules read from TOML, each with conditions on addresses,
// headers, body words and attachments, a direction and an action. Every
// pattern is compiled once, when the rule is read; a mistake is an error
// naming file:line.
#pragma once

#include "core/ip_network.hpp"
#include "core/result.hpp"
#include "mail/address_pattern.hpp"
#include "mail/verdict.hpp"

#include <re2/re2.h>
#include <toml++/toml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace portcullis::policy {

/// Which way a message travels relative to the local domains.
enum class Direction { inbound, outbound, internal };

/// Returns the direction's name as written in verdicts.
std::string_view to_string(Direction direction);

/// What a rule does when it fires.
enum class RuleAction {
    reject,
    discard,
    quarantine,
    redirect,
    folder,
    strip, ///< remove the matching attachments, deliver the rest
    tag,   ///< add a header or a subject tag
    copy,  ///< deliver as usual and send a copy
};

/// Returns the action's name as written in policies.
std::string_view to_string(RuleAction action);

/// Returns the delivery action the daemon sees for a rule action.
verdict::Action delivery_action(RuleAction action);

/// An address condition's value: lib/mail/address_pattern, the forms
/// spam-score's lists take too.
using AddressPattern = mail::AddressPattern;

/// A regular expression with the text it was written as.
struct Pattern {
    std::string text;
    std::shared_ptr<RE2> re;
};

/// A word list with the count of hits that makes it fire.
struct WordsCondition {
    std::string list;
    double threshold = 1;
    std::string where; ///< file:line of the setting naming the list
};

/// Conditions on one attachment or archive entry; all given must hold.
struct AttachmentCondition {
    std::vector<std::string> extensions; ///< lower case, no dot
    std::vector<Pattern> names;          ///< RE2 over the shown name
    std::vector<std::string> types;      ///< "type/sub" or "type/*"
    std::optional<uint64_t> larger_than;
    bool in_archives = true;
    bool tricks = false; ///< only names with a disguise (RTLO, NUL...)

    /// Returns true when no condition is set.
    bool empty() const {
        return extensions.empty() && names.empty() && types.empty() &&
               !larger_than && !tricks;
    }
};

/// One rule: conditions (all must hold) and what to do.
struct Rule {
    std::string id;
    std::string description;
    std::string where; ///< file:line of the rule, for verdicts
    std::string level = "system";
    std::vector<Direction> directions; ///< empty: any direction
    bool locked = false;

    std::map<std::string, mail::AddressIndex> addresses;
    std::vector<std::pair<std::string, Pattern>> headers;
    std::vector<Pattern> body;
    std::vector<WordsCondition> words;
    std::optional<AttachmentCondition> attachment;
    /// Client networks, read as spam-score's client lists are; empty:
    /// any client.
    net::NetworkSet clients;
    std::vector<std::string> anomalies;

    RuleAction action = RuleAction::tag;
    std::string reject_text;
    std::string redirect_to;
    std::string copy_to;
    std::string folder;
    std::string subject_tag;
    std::string header; ///< "Name: value"
    std::string notice; ///< text left in place of a stripped attachment

    /// Returns true when the rule applies to mail going this way.
    bool applies(Direction direction) const;
};

/// Returns true when a rule's `anomaly` may name id: a MIME anomaly or a
/// finding of policy-check's own.
bool is_finding(std::string_view id);

/// The address fields a rule can test, in the order verdicts name them.
const std::vector<std::string>& address_fields();

/// A set of rules read from one source, with the word lists they use.
struct Policy {
    std::vector<std::shared_ptr<const Rule>> rules;
    std::string wordlists_dir; ///< where word lists named by rules live
};

/// Reads the rules of one TOML table: its `rule` array. level names the
/// level for verdicts; where(node) turns a node into "file:line".
Result<Policy>
read_rules(const toml::table& table, std::string_view level,
           const std::function<std::string(const toml::node&)>& where);

/// Loads a policy file: top-level `rule` array and `wordlists_dir`
/// (relative to the file).
Result<Policy> load_policy_file(const std::string& path);

} // namespace portcullis::policy
