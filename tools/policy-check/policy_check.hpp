// policy-check's logic: load the policies once, then judge each message
// for each recipient through the system, domain and user levels, and
// apply the actions that rewrite the message.
#pragma once

#include "core/filter.hpp"
#include "core/levels.hpp"
#include "policy_engine.hpp"
#include "policy_rules.hpp"

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

namespace portcullis::policy_check {

/// Options beyond the common ones.
struct Options {
    filter::CommonOptions common;
    std::vector<std::string> policy_files; ///< added to the configured ones
    std::vector<std::string> local_domains;
    std::string wordlists_dir; ///< empty: the configured or shipped one
    std::string domains_dir;   ///< empty: domains/ beside the config
    std::string check_file;    ///< --check: validate this file and stop
    size_t max_body_bytes = 0; ///< 0: the configured or default cap
    /// --headers-for: the message as this recipient's decision makes it.
    std::string headers_for;
};

/// The rules that apply to one party, after the levels had their say.
struct RuleSet {
    std::vector<const policy::Rule*> rules;
    std::vector<std::string> refused; ///< lower-level changes refused, why
};

/// One rule that fired, with every recipient it fired for.
struct Firing {
    const policy::Rule* rule;
    std::string why;
    std::string direction;
    std::vector<std::string> rcpt;
    std::vector<std::string> parts; ///< MIME paths of matched attachments
};

/// A policy that could not be read, with the recipients held for it: a
/// domain's (its file or its table), whose mail is its own recipients'
/// inbound and every recipient of its users' outbound; or one user's
/// table in that file, whose mail is that user's alone.
struct Unreadable {
    bool user = false; ///< the user's table, not the domain's policy
    std::string owner; ///< the domain, or the user's address
    std::string error; ///< names file:line; for the log, not the verdict
    std::vector<std::string> rcpt;
};

/// What the rules decided about one message.
struct Judgement {
    std::vector<Firing> firings;
    std::map<std::string, verdict::Action> actions; ///< by recipient
    std::vector<std::string> refused;
    std::vector<std::string> fields; ///< lower-case names rules may add
    std::vector<Unreadable> unreadable;
};

/// Loaded policies and the per-recipient judgement.
class Checker {
public:
    /// Loads policy files, inline rules and word lists; errors name
    /// file:line.
    static Result<std::unique_ptr<Checker>>
    create(const Options& options, const config::Config& config);

    /// Judges one record and applies rewriting actions to its message.
    Result<filter::Outcome> handle(stream::Record& record);

    /// Returns the rules that apply to a party whose levels are these.
    Result<const RuleSet*> rules_for(const levels::Layers& layers);

    /// Reads domain's file as messages for the domain and its users
    /// read it, and returns how many rules the file holds; errors name
    /// file:line.
    Result<size_t> check_domain(const std::string& domain);

    /// Returns which way mail from sender to rcpt goes.
    policy::Direction direction(std::string_view sender,
                                std::string_view rcpt) const;

    /// Returns how many system-level rules were loaded.
    size_t system_rule_count() const { return system_.size(); }

private:
    /// The levels of the party whose settings judge one recipient, and
    /// the rules they give.
    struct Party {
        levels::Layers layers;
        const RuleSet* rules = nullptr;
    };

    Checker(const Options& options, const config::Config& config);

    Status load(const Options& options);
    Status add_system_rules(const std::vector<const policy::Policy*>& sources);
    Status read_archive_limits(const toml::table& table);
    Status read_body_limit(const Options& options, const toml::table& table);
    Judgement judge(policy::MessageFacts& facts);
    Result<Party> party_of(std::string_view owner);
    bool user_table_at_fault(std::string_view owner);
    verdict::Action judge_rcpt(policy::MessageFacts& facts,
                               const std::string& rcpt, policy::Direction way,
                               const Party& party, Judgement& judgement);
    Result<const policy::Policy*> level_rules(const toml::table* table,
                                              std::string_view level);
    bool is_local(std::string_view address) const;
    void forget_changed_levels();

    const config::Config& config_;
    filter::OutputForm form_;
    std::string headers_for_;
    Limits limits_;
    attachment::ArchiveLimits archive_limits_;
    size_t max_body_bytes_ = 0;
    levels::Hierarchy hierarchy_;
    std::vector<std::shared_ptr<const policy::Rule>> system_;
    std::vector<policy::Policy> system_policies_;
    std::map<const toml::table*, policy::Policy> level_policies_;
    std::map<std::tuple<const toml::table*, const toml::table*>, RuleSet>
        rule_sets_;
    uint64_t hierarchy_generation_ = 0;
    /// Policies of domain files read again during this record, kept
    /// until it is judged: its firings still point at their rules.
    std::vector<std::map<const toml::table*, policy::Policy>> retired_;
    policy::WordLists lists_;
    std::string wordlists_dir_;
    std::vector<std::string> local_domains_;
};

/// The keys policy-check reads from [policy-check], at every level.
extern const config::Keys config_keys;

/// Returns "file:line: KEY must be KIND" for each [policy-check] setting
/// of table that holds the wrong type (a string where a list belongs),
/// in file order.
std::vector<std::string> setting_problems(const toml::table& table);

/// Returns true when the file given to --check is a domain file: it is
/// in the folder of domain files a run reads (--domains-dir, or domains/
/// beside the configuration file) or in any folder named domains.
bool is_domain_file(const Options& options);

/// Validates a policy file or a main configuration file; returns a
/// one-line summary.
Result<std::string> check_file(const std::string& path,
                               const std::string& wordlists_dir);

/// Validates the domain file given to --check as a run reads it, with
/// config as the system level: the same warnings, and no file opened
/// that a run would not open; returns a one-line summary.
Result<std::string> check_domain_file(const Options& options,
                                      const config::Config& config);

/// Runs policy-check over all inputs; returns the exit status.
ExitCode run(const Options& options, const config::Config& config);

} // namespace portcullis::policy_check
