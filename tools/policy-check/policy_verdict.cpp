// Judging one message: each recipient gets the rules of its own levels
// (the sender's for outbound mail), every rule that fires is named with
// why, and the rewriting actions (strip, subject tag, header) are applied
// to the message once, for all recipients.
#include "core/digest.hpp"
#include "core/log.hpp"
#include "core/strings.hpp"
#include "mail/charset.hpp"
#include "mail/header_edit.hpp"
#include "policy_check.hpp"
#include "policy_rewrite.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <optional>

namespace portcullis::policy_check {

using nlohmann::ordered_json;
using policy::Rule;
using policy::RuleAction;
using verdict::Action;

namespace {

constexpr const char* tool_name = "policy-check";
constexpr const char* default_reject = "550 5.7.1 Message refused by policy";

void add_firing(Judgement& judgement, const Rule& rule, policy::Matched matched,
                policy::Direction direction, const std::string& rcpt) {
    for (Firing& firing : judgement.firings) {
        if (firing.rule == &rule && firing.why == matched.why) {
            firing.rcpt.push_back(rcpt);
            return;
        }
    }
    judgement.firings.push_back({&rule,
                                 std::move(matched.why),
                                 std::string(policy::to_string(direction)),
                                 {rcpt},
                                 std::move(matched.parts)});
}

// A sender's own X-Portcullis-Policy or X-Portcullis-Conduct would pass
// for ours when no rule fires, so every field of our namespace goes, and
// every field a rule may add; av-scan's X-Portcullis-AV* stay, as it may
// run before us.
std::string remove_planted_fields(std::string_view message,
                                  const std::vector<std::string>& fields) {
    return mail::remove_headers(message, [&](std::string_view name) {
        if (name.starts_with("x-portcullis-") &&
            !name.starts_with("x-portcullis-av"))
            return true;
        return std::find(fields.begin(), fields.end(), name) != fields.end();
    });
}

void add_field_names(Judgement& judgement, const RuleSet& set) {
    for (const Rule* rule : set.rules) {
        if (rule->header.empty())
            continue;
        std::string name =
            ascii_lower(rule->header.substr(0, rule->header.find(':')));
        if (std::find(judgement.fields.begin(), judgement.fields.end(), name) ==
            judgement.fields.end())
            judgement.fields.push_back(std::move(name));
    }
}

void add_refused(Judgement& judgement, const std::vector<std::string>& why) {
    for (const std::string& reason : why) {
        if (std::find(judgement.refused.begin(), judgement.refused.end(),
                      reason) == judgement.refused.end())
            judgement.refused.push_back(reason);
    }
}

std::string notice_for(const Firing& firing) {
    if (!firing.rule->notice.empty())
        return firing.rule->notice;
    return fmt::format("An attachment was removed from this message by the "
                       "mail policy \"{}\".",
                       firing.rule->id);
}

// A part a strip rule removes: its decoded size and SHA-256.
struct Removed {
    size_t size = 0;
    std::string sha256;
};

// Parses the message and notes each part that removals name.
bool removed_parts(std::string_view message,
                   const std::vector<policy::Removal>& removals,
                   const Limits& limits, std::vector<Removed>& gone) {
    auto tree = mime::parse(message, limits);
    if (!tree)
        return false;
    for (const policy::Removal& removal : removals) {
        for (const mime::Part& part : tree->parts) {
            if (part.path == removal.path)
                gone.push_back(
                    {part.decoded.size(), digest::sha256_hex(part.decoded)});
        }
    }
    return true;
}

bool is_gone(std::string_view decoded, const std::vector<Removed>& gone) {
    std::optional<std::string> sha256;
    for (const Removed& removed : gone) {
        if (removed.size != decoded.size())
            continue;
        if (!sha256)
            sha256 = digest::sha256_hex(decoded);
        if (*sha256 == removed.sha256)
            return true;
    }
    return false;
}

// Strips what strip rules matched, then parses the result again: if the
// raw walk and the parser disagreed, the message is held, never sent on
// with the attachment still inside.
bool apply_strip(std::string& message, const Judgement& judgement,
                 const Limits& limits) {
    std::vector<policy::Removal> removals;
    std::vector<Removed> gone;
    for (const Firing& firing : judgement.firings) {
        if (firing.rule->action != RuleAction::strip)
            continue;
        for (const std::string& part : firing.parts) {
            if (part == "1")
                return false; // the whole message is the attachment
            removals.push_back({part, notice_for(firing)});
        }
    }
    if (removals.empty())
        return true;
    // What was removed is known by size and digest: a copy of its bytes
    // and the tree they came from would be held beside the next parse.
    if (!removed_parts(message, removals, limits, gone))
        return false;
    auto stripped = policy::strip_parts(message, removals);
    if (!stripped)
        return false;
    auto check = mime::parse(*stripped, limits);
    if (!check)
        return false;
    for (const mime::Part& part : check->parts) {
        if (!part.decoded.empty() && is_gone(part.decoded, gone))
            return false;
    }
    message = std::move(*stripped);
    return true;
}

void apply_tags(std::string& message, const Judgement& judgement) {
    std::vector<std::pair<std::string, std::string>> added;
    for (const Firing& firing : judgement.firings) {
        const Rule& rule = *firing.rule;
        if (!rule.subject_tag.empty())
            message = mail::tag_subject(message, rule.subject_tag);
        if (rule.header.empty())
            continue;
        size_t colon = rule.header.find(':');
        std::string name = rule.header.substr(0, colon);
        std::string value = rule.header.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        // Header fields are ASCII (RFC 5322); other text goes in as
        // encoded-words, as subject tags do.
        value = mime::encode_words(value, name.size() + 2);
        if (std::find(added.begin(), added.end(), std::pair{name, value}) ==
            added.end())
            added.emplace_back(name, value);
    }
    if (!added.empty())
        message = mail::add_headers(message, added);
}

// The action comes first so a Sieve or procmail rule can tell a reject
// from a tag without knowing rule ids: "reject; rules=a,b", or "pass".
// A procmail or Sieve hook has no verdict to read: the folder or the
// address the action names goes in the field, as written (UTF-8 as RFC
// 6532 allows) without control characters or ';', so a recipe needs no
// copy of the policy's names.
// RFC 5322 keeps a line within 998 bytes, as do the tools' own limits on
// what they read back. A field that would pass it (dozens of rules
// fired) is folded after a comma of the rule list or before the blank of
// a "; " part; under it, the field stays on one line, as hooks match it.
std::string folded_field(std::string_view name, std::string_view value) {
    constexpr size_t max_line_bytes = 998;
    std::string out;
    size_t line = name.size() + 2; // "NAME: "
    size_t start = 0;
    while (start < value.size()) {
        // The next piece ends after a comma, or before "; "'s blank.
        size_t end = start + 1;
        while (end < value.size() && value[end - 1] != ',' &&
               !(value[end - 1] == ';' && value[end] == ' '))
            ++end;
        std::string_view piece = value.substr(start, end - start);
        if (!out.empty() && line + piece.size() > max_line_bytes) {
            out += piece.front() == ' ' ? "\n" : "\n ";
            line = piece.front() == ' ' ? 0 : 1;
        }
        out += piece;
        line += piece.size();
        start = end;
    }
    return out;
}

std::string policy_field(Action action, const Judgement& judgement) {
    std::string out(verdict::to_string(action));
    std::string ids;
    for (const Firing& firing : judgement.firings)
        ids += (ids.empty() ? "" : ",") + firing.rule->id;
    if (!ids.empty())
        out += "; rules=" + ids;
    auto printable = [](std::string_view text) {
        std::string kept;
        for (char c : text) {
            auto byte = static_cast<unsigned char>(c);
            if (byte >= 0x20 && byte != 0x7f && c != ';')
                kept += c;
        }
        return kept;
    };
    for (const Firing& firing : judgement.firings) {
        const Rule& rule = *firing.rule;
        if (action == Action::folder && rule.action == RuleAction::folder) {
            out += "; folder=" + printable(rule.folder);
            break;
        }
        if (action == Action::redirect && rule.action == RuleAction::redirect) {
            out += "; redirect=" + printable(rule.redirect_to);
            break;
        }
    }
    return out;
}

ordered_json describe(const Firing& firing) {
    const Rule& rule = *firing.rule;
    ordered_json out;
    out["rule"] = rule.id;
    out["action"] = policy::to_string(rule.action);
    out["level"] = rule.level;
    out["where"] = rule.where;
    out["direction"] = firing.direction;
    out["why"] = firing.why;
    out["rcpt"] = firing.rcpt;
    switch (rule.action) {
    case RuleAction::reject:
        out["smtp_reply"] =
            rule.reject_text.empty() ? default_reject : rule.reject_text;
        break;
    case RuleAction::redirect:
        out["redirect_to"] = rule.redirect_to;
        break;
    case RuleAction::folder:
        out["folder"] = rule.folder;
        break;
    case RuleAction::strip:
        out["parts"] = firing.parts;
        break;
    default:
        break;
    }
    return out;
}

bool is_held(const Judgement& judgement, const std::string& rcpt) {
    return std::any_of(judgement.unreadable.begin(), judgement.unreadable.end(),
                       [&](const Unreadable& policy) {
                           return std::find(policy.rcpt.begin(),
                                            policy.rcpt.end(),
                                            rcpt) != policy.rcpt.end();
                       });
}

// Recipients held for an unreadable policy are named in rcpt alone, so
// the message's action is what the other recipients' rules decided: one
// domain's broken file, or one user's broken table, delays no one else's
// mail. When every recipient is held, so is the message.
Action message_action_of(const Judgement& judgement) {
    std::optional<Action> out;
    for (const auto& [rcpt, action] : judgement.actions) {
        if (!is_held(judgement, rcpt))
            out = verdict::most_severe(out.value_or(Action::pass), action);
    }
    return out.value_or(Action::tempfail);
}

// The reason says whose policy is missing, a domain's or a user's, and
// nothing more: the file's path and the parser's words are the server's
// business, and go to the log.
void add_unreadable(verdict::Verdict& verdict, const Judgement& judgement) {
    for (const Unreadable& policy : judgement.unreadable)
        verdict.add_reason(
            {policy.user ? "USER_POLICY_UNREADABLE"
                         : "DOMAIN_POLICY_UNREADABLE",
             0,
             fmt::format("the policy of {} could not be read; the mail it "
                         "applies to is held for a retry",
                         policy.owner)});
}

void fill_verdict(verdict::Verdict& verdict, const Judgement& judgement,
                  const mail::Envelope& envelope) {
    Action message_action = message_action_of(judgement);
    verdict.escalate(message_action);
    add_unreadable(verdict, judgement);
    for (const auto& [rcpt, action] : judgement.actions) {
        if (action != message_action)
            verdict.set_rcpt_action(rcpt, action);
    }
    ordered_json rules = ordered_json::array();
    for (const Firing& firing : judgement.firings) {
        const Rule& rule = *firing.rule;
        std::string text = rule.description.empty()
                               ? firing.why
                               : rule.description + ": " + firing.why;
        verdict.add_reason({rule.id, 0, text});
        rules.push_back(describe(firing));
        if (rule.action == RuleAction::copy)
            verdict.add_effect(
                {{"type", "copy"}, {"to", rule.copy_to}, {"rule", rule.id}});
        if (rule.action == RuleAction::reject &&
            !verdict.extra().contains("smtp_reply"))
            verdict.extra()["smtp_reply"] = rules.back()["smtp_reply"];
        if (rule.action == RuleAction::redirect &&
            !verdict.extra().contains("redirect_to"))
            verdict.extra()["redirect_to"] = rule.redirect_to;
        if (rule.action == RuleAction::folder &&
            !verdict.extra().contains("folder"))
            verdict.extra()["folder"] = rule.folder;
    }
    verdict.extra()["rules"] = std::move(rules);
    if (envelope.guessed())
        verdict.extra()["envelope_guessed"] = true;
    if (!judgement.refused.empty())
        verdict.extra()["refused"] = judgement.refused;
}

// Logged by the filter once the outcome stands: a message that misses
// its deadline gets tempfail, not what its rules said.
void log_judgement(const Judgement& judgement, filter::Outcome& outcome) {
    for (const Firing& firing : judgement.firings)
        outcome.events.push_back(
            {"policy",
             {{"rule", firing.rule->id},
              {"action", policy::to_string(firing.rule->action)},
              {"rcpt", fmt::format("{}", fmt::join(firing.rcpt, ","))},
              {"why", firing.why}}});
    for (const std::string& why : judgement.refused)
        outcome.events.push_back({"policy", {{"refused", why}}});
    for (const Unreadable& policy : judgement.unreadable)
        outcome.events.push_back(
            {"policy",
             {{policy.user ? "user" : "domain", policy.owner},
              {"action", "tempfail"},
              {"rcpt", fmt::format("{}", fmt::join(policy.rcpt, ","))},
              {"error", policy.error}}});
}

// A domain file that cannot be read holds the recipients it speaks for
// with a tempfail, where spam-score judges them at system level: a
// domain's rules may stop mail (an executable, a confidential word) that
// the system level lets through, and mail delivered past them cannot be
// called back, while a tempfail only delays it until the file is fixed
// and read again. A user's table that cannot be read holds that user's
// mail the same way, named as the user's.
void hold(Judgement& judgement, std::string_view owner, bool user,
          const std::string& rcpt, const Error& error) {
    judgement.actions[rcpt] = Action::tempfail;
    std::string name = user
                           ? std::string(owner)
                           : levels::Hierarchy::file_domain(owner).value_or("");
    for (Unreadable& held : judgement.unreadable) {
        if (held.user == user && held.owner == name) {
            held.rcpt.push_back(rcpt);
            return;
        }
    }
    judgement.unreadable.push_back({user, name, error.text(), {rcpt}});
}

} // namespace

// Rules and rule sets are kept by the tables they came from; a domain
// file read again frees its old tables, so everything kept by them goes.
void Checker::forget_changed_levels() {
    if (hierarchy_.generation() == hierarchy_generation_)
        return;
    hierarchy_generation_ = hierarchy_.generation();
    retired_.push_back(std::move(level_policies_));
    level_policies_.clear();
    rule_sets_.clear();
}

Judgement Checker::judge(policy::MessageFacts& facts) {
    const mail::Envelope& envelope = facts.envelope();
    Judgement judgement;
    // Domain files edited since the last record count from this one.
    hierarchy_.recheck();
    retired_.clear();
    std::vector<std::string> recipients = envelope.rcpt;
    if (recipients.empty())
        recipients.push_back(""); // still judge a message with no rcpt
    for (const std::string& rcpt : recipients) {
        policy::Direction way = direction(envelope.mail_from, rcpt);
        // Outbound mail follows the sender's settings: a domain decides
        // what its own users may send.
        const std::string& owner =
            way == policy::Direction::outbound ? envelope.mail_from : rcpt;
        auto party = party_of(owner);
        if (!party) {
            hold(judgement, owner, user_table_at_fault(owner), rcpt,
                 party.error());
            continue;
        }
        judgement.actions[rcpt] =
            judge_rcpt(facts, rcpt, way, *party, judgement);
    }
    return judgement;
}

Result<Checker::Party> Checker::party_of(std::string_view owner) {
    auto layers = hierarchy_.layers(owner);
    forget_changed_levels();
    if (!layers)
        return layers.error();
    auto set = rules_for(*layers);
    if (!set)
        return set.error();
    return Party{*layers, *set};
}

// The domain's file and table read, the user's table is what failed.
bool Checker::user_table_at_fault(std::string_view owner) {
    auto layers = hierarchy_.layers(owner);
    return layers && layers->user && level_rules(layers->domain, "domain");
}

Action Checker::judge_rcpt(policy::MessageFacts& facts, const std::string& rcpt,
                           policy::Direction way, const Party& party,
                           Judgement& judgement) {
    add_refused(judgement, party.rules->refused);
    add_field_names(judgement, *party.rules);

    policy::Context context;
    context.rcpt = rcpt;
    context.direction = way;
    context.lists = &lists_;
    context.threshold = [&](const policy::WordsCondition& words) {
        std::string key = "thresholds." + words.list;
        auto resolved = levels::Hierarchy::number(
            party.layers, key, words.threshold, levels::Stricter::lower);
        for (const std::string& why : resolved.refused)
            add_refused(judgement, {key + ": " + why});
        return resolved.value;
    };
    Action action = Action::pass;
    for (const Rule* rule : party.rules->rules) {
        auto matched = policy::evaluate(*rule, facts, context);
        if (!matched)
            continue;
        action =
            verdict::most_severe(action, policy::delivery_action(rule->action));
        add_firing(judgement, *rule, std::move(*matched), way, rcpt);
    }
    return action;
}

// The judgement of one recipient: the rules that fired for it and its
// decision. A user's rule (a strip, a tag, a redirect) is that user's:
// the message written for another recipient carries none of it.
Judgement for_recipient(const Judgement& all, const std::string& address) {
    Judgement one;
    one.refused = all.refused;
    one.fields = all.fields;
    for (const Firing& firing : all.firings)
        if (std::find(firing.rcpt.begin(), firing.rcpt.end(), address) !=
            firing.rcpt.end())
            one.firings.push_back(firing);
    one.actions[address] = all.actions.at(address);
    return one;
}

Result<filter::Outcome> Checker::handle(stream::Record& record) {
    verdict::Verdict verdict(tool_name, PORTCULLIS_VERSION);
    auto tree = mime::parse(record.message, limits_);
    if (!tree) {
        if (form_ == filter::OutputForm::headers)
            return Error{"", tree.error().text(), ExitCode::temp_fail};
        // A message we cannot read is held: a policy cannot vouch for it.
        verdict.add_reason({"MIME_PARSE_FAILED", 0, tree.error().text()});
        verdict.escalate(Action::quarantine);
        return filter::Outcome{verdict.to_json(), {}};
    }
    policy::MessageFacts facts(record, *tree, archive_limits_, max_body_bytes_,
                               limits_.header_block_bytes);
    auto judgement = judge(facts);
    // A headed message carries no rcpt to hold some recipients by: it
    // goes back unchanged with exit 75, never on as if judged.
    if (!judgement.unreadable.empty() && form_ == filter::OutputForm::headers)
        return Error{"", judgement.unreadable.front().error,
                     ExitCode::temp_fail};

    // A hook that delivers to each recipient apart (postfix-filter, when
    // their decisions differ) asks for one recipient's message, judged
    // with the whole envelope, so rules on the other recipients count.
    if (!headers_for_.empty()) {
        if (!judgement.actions.contains(headers_for_))
            return Error{"",
                         fmt::format("--headers-for {}: not one of the "
                                     "message's recipients",
                                     headers_for_),
                         ExitCode::usage};
        judgement = for_recipient(judgement, headers_for_);
    }
    record.message = remove_planted_fields(record.message, judgement.fields);
    filter::Outcome outcome;
    if (!apply_strip(record.message, judgement, limits_)) {
        // A headed message has no verdict to hold it: it goes back
        // unchanged with exit 75, never on with the attachment inside.
        if (form_ == filter::OutputForm::headers)
            return Error{"",
                         "an attachment to strip could not be removed "
                         "safely; the message is not passed on",
                         ExitCode::temp_fail};
        verdict.add_reason({"STRIP_FAILED", 0,
                            "an attachment to strip could not be removed "
                            "safely; the message is held"});
        for (auto& [rcpt, action] : judgement.actions)
            action = verdict::most_severe(action, Action::quarantine);
    }
    apply_tags(record.message, judgement);
    fill_verdict(verdict, judgement, facts.envelope());
    outcome.headers.emplace_back(
        "X-Portcullis-Policy",
        folded_field("X-Portcullis-Policy",
                     policy_field(verdict.action(), judgement)));
    // Said even when no rule acts on it: a pass on a partly read body
    // is not a clean bill.
    if (facts.body_truncated())
        verdict.extra()["body_truncated"] = true;
    log_judgement(judgement, outcome);
    outcome.verdict = verdict.to_json();
    return outcome;
}

} // namespace portcullis::policy_check
