// Loading policies and resolving which rules apply to whom. Rules from
// domain and user levels may add restrictions freely; taking one away or
// weakening it needs the level above to allow it, and a locked rule
// cannot be touched below at all.
#include "policy_check.hpp"

#include "core/paths.hpp"

#include "core/log.hpp"
#include "core/strings.hpp"
#include "core/watchdog.hpp"
#include "mail/address.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>

namespace portcullis::policy_check {

using policy::Policy;
using policy::Rule;

namespace {

constexpr const char* tool_name = "policy-check";
constexpr const char* level_names[] = {"system", "domain", "user"};

// Enough body for any word a policy looks for; a longer body is read up
// to here and raises BODY_TEXT_TRUNCATED, which the default policy holds.
constexpr size_t default_max_body_bytes = 4u << 20;

std::string default_wordlists_dir() {
    return paths::share_dir() + "/wordlists";
}

std::string default_policy_file() {
    return paths::share_dir() + "/policies/default.toml";
}

using config::Kind;

// The settings of [policy-check] at any level; [[rule]] and archive
// have readers of their own.
constexpr config::KeyKind key_kinds[] = {
    {"policies", Kind::text_list},     {"local_domains", Kind::text_list},
    {"disable", Kind::text_list},      {"locked", Kind::text_list},
    {"allow_looser", Kind::text_list}, {"wordlists_dir", Kind::text},
};

// Logs every problem but the last, which becomes the error: the first
// run after an edit shows all of them.
Status report_problems(std::vector<std::string> problems) {
    if (problems.empty())
        return {};
    for (size_t i = 0; i + 1 < problems.size(); ++i)
        log::error(terminal_safe(problems[i]));
    return Error{"", terminal_safe(problems.back()), ExitCode::config};
}

bool listed(const toml::table* table, std::string_view list,
            std::string_view entry) {
    if (!table)
        return false;
    const toml::array* entries = (*table)[list].as_array();
    if (!entries)
        return false;
    return std::any_of(entries->begin(), entries->end(),
                       [&](const toml::node& node) {
                           return node.value<std::string_view>() == entry;
                       });
}

std::vector<std::string> strings_at(const toml::table& table,
                                    std::string_view key) {
    std::vector<std::string> out;
    if (const toml::array* list = table[key].as_array()) {
        for (const toml::node& node : *list) {
            if (auto value = node.value<std::string>())
                out.push_back(*value);
        }
    }
    return out;
}

// Why a rule from a level above may not be changed or removed at level,
// or empty when it may be.
std::string lock_reason(const Rule& rule, const levels::Layers& layers,
                        size_t level) {
    const toml::table* tables[] = {layers.system, layers.domain, layers.user};
    size_t owner = rule.level == "system" ? 0 : rule.level == "domain" ? 1 : 2;
    if (rule.locked)
        return fmt::format("{} refused: rule {} is locked at {} level",
                           level_names[level], rule.id, level_names[owner]);
    for (size_t above = 0; above < level; ++above) {
        if (listed(tables[above], "locked", "rule." + rule.id))
            return fmt::format("{} refused: rule {} is locked at {} level",
                               level_names[level], rule.id, level_names[above]);
    }
    return "";
}

// A lower level's rule with an id already used replaces the rule above
// when it is at least as severe, or when the level above allows it.
void merge_rule(std::vector<const Rule*>& rules, const Rule& rule,
                const levels::Layers& layers, size_t level,
                std::vector<std::string>& refused) {
    auto same = std::find_if(rules.begin(), rules.end(),
                             [&](const Rule* r) { return r->id == rule.id; });
    if (same == rules.end()) {
        rules.push_back(&rule);
        return;
    }
    if (auto why = lock_reason(**same, layers, level); !why.empty()) {
        refused.push_back(why);
        return;
    }
    bool looser = policy::delivery_action(rule.action) >
                  policy::delivery_action((*same)->action);
    auto why = looser ? levels::loosen_refusal(layers, level, "rule." + rule.id)
                      : std::nullopt;
    if (why) {
        std::string refusal = fmt::format(
            "{} refused: rule {} with action {} is looser than {}",
            level_names[level], rule.id, policy::to_string(rule.action),
            policy::to_string((*same)->action));
        if (!why->empty())
            refusal += fmt::format(" ({})", *why);
        refused.push_back(std::move(refusal));
        return;
    }
    *same = &rule;
}

void apply_disables(RuleSet& set, const levels::Layers& layers) {
    const toml::table* tables[] = {layers.system, layers.domain, layers.user};
    for (size_t level = 0; level < 3; ++level) {
        if (!tables[level])
            continue;
        for (const std::string& id : strings_at(*tables[level], "disable")) {
            auto found =
                std::find_if(set.rules.begin(), set.rules.end(),
                             [&](const Rule* r) { return r->id == id; });
            if (found == set.rules.end())
                continue;
            std::string why =
                level == 0 ? "" : lock_reason(**found, layers, level);
            if (why.empty() && level > 0 &&
                !levels::may_loosen(layers, level, "disable") &&
                !levels::may_loosen(layers, level, "rule." + id))
                why = fmt::format("{} refused: disabling rule {} is not "
                                  "allowed below",
                                  level_names[level], id);
            if (!why.empty()) {
                set.refused.push_back(why);
                continue;
            }
            set.rules.erase(found);
        }
    }
}

// Reports each unknown key of a main file given to --check and counts
// them.
size_t report_unknown_keys(const config::Config& config) {
    std::vector<std::string> problems = config::unknown_keys(config);
    for (const std::string& problem : problems)
        log::error(problem);
    return problems.size();
}

// Counts the keys of a domain file that no level reads. A run warns of
// them and goes on; a check fails on them, so a typo is caught before the
// file is put in place. Settings a domain file may not hold are not
// counted: a run ignores them, and a check says so as a run does.
Result<size_t> count_unknown_domain_keys(const config::Config& config,
                                         const std::string& path) {
    levels::Hierarchy reader(config, tool_name);
    auto loaded = reader.load_domain_file(path);
    if (!loaded)
        return loaded.error();
    loaded->keys.system_only.clear();
    return config::unknown_domain_keys(*loaded, loaded->root, path).size();
}

std::string rule_summary(const std::string& path, size_t count) {
    return fmt::format("{}: ok, {} rule{}", path, count, count == 1 ? "" : "s");
}

// The folder of domain files a run reads.
std::filesystem::path configured_domains_dir(const Options& options) {
    if (!options.domains_dir.empty())
        return options.domains_dir;
    config::Config where;
    where.path = options.common.config_path;
    return config::resolve_path(where, "domains");
}

} // namespace

std::vector<std::string> setting_problems(const toml::table& table) {
    auto found = config::kind_problems(table, key_kinds);
    const toml::node* bands = table.get("thresholds");
    if (bands && !bands->is_table())
        found.emplace_back(bands->source().begin.line,
                           config::source_where(*bands) +
                               ": thresholds must be a table of numbers");
    if (bands && bands->is_table()) {
        for (auto&& [key, node] : *bands->as_table()) {
            if (!config::has_kind(node, Kind::number))
                found.emplace_back(
                    node.source().begin.line,
                    fmt::format("{}: thresholds.{} must be {}",
                                config::source_where(node), key.str(),
                                config::kind_text(Kind::number)));
        }
    }
    std::stable_sort(
        found.begin(), found.end(),
        [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> out;
    for (auto& [line, text] : found)
        out.push_back(std::move(text));
    return out;
}

// [policy-check.archive] and each [[policy-check.rule]] are checked
// strictly by their own readers, so they are declared whole.
const config::Keys config_keys{"policy-check",
                               {"wordlists_dir", "local_domains", "policies",
                                "max_body_bytes", "archive", "rule", "disable",
                                "locked", "allow_looser", "thresholds.*"},
                               {"policies", "wordlists_dir"}};

Checker::Checker(const Options& options, const config::Config& config)
    : config_(config), form_(options.common.form),
      headers_for_(options.headers_for), limits_(options.common.limits),
      hierarchy_(config, tool_name, options.domains_dir) {}

Result<std::unique_ptr<Checker>> Checker::create(const Options& options,
                                                 const config::Config& config) {
    std::unique_ptr<Checker> checker(new Checker(options, config));
    if (auto s = checker->load(options); !s)
        return s.error();
    return checker;
}

Status Checker::load(const Options& options) {
    const toml::table& table = config_.tool(tool_name);
    // The shared local_domains sits at the top of the file.
    std::vector<std::string> wrong = setting_problems(table);
    constexpr config::KeyKind shared[] = {{"local_domains", Kind::text_list}};
    for (auto& [line, text] : config::kind_problems(config_.root, shared))
        wrong.insert(wrong.begin(), std::move(text));
    if (auto s = report_problems(std::move(wrong)); !s)
        return s;
    wordlists_dir_ = options.wordlists_dir;
    if (wordlists_dir_.empty()) {
        wordlists_dir_ = default_wordlists_dir();
        if (const toml::node* node = table.get("wordlists_dir")) {
            auto path = config::path_value(config_, *node, "wordlists_dir");
            if (!path)
                return path.error();
            wordlists_dir_ = std::move(*path);
        }
    }
    // Kept in the form mail::domain_of gives a recipient's domain, so
    // "Bücher.Example." on the command line is xn--bcher-kva.example.
    for (const std::string& domain : options.local_domains)
        local_domains_.push_back(mail::domain_of("@" + domain));
    for (const auto* source : {&config_.root, &table}) {
        for (const std::string& domain : strings_at(*source, "local_domains"))
            local_domains_.push_back(mail::domain_of("@" + domain));
    }

    std::vector<std::string> files;
    if (const toml::array* list = table["policies"].as_array()) {
        for (const toml::node& node : *list) {
            auto path = config::path_value(config_, node, "policies");
            if (!path)
                return path.error();
            files.push_back(std::move(*path));
        }
    }
    files.insert(files.end(), options.policy_files.begin(),
                 options.policy_files.end());
    // A gateway whose configuration names no policy at all gets the
    // shipped one rather than none: a missing setting must not let an
    // executable through. An empty policies list is a choice, and kept.
    bool named = table.contains("policies") || table.contains("rule") ||
                 !options.policy_files.empty();
    if (!named)
        files.push_back(default_policy_file());
    for (const std::string& path : files) {
        auto policy = policy::load_policy_file(path);
        if (!policy && !named && ::access(path.c_str(), F_OK) != 0)
            return Error{path,
                         fmt::format("{}; the default policy is not "
                                     "installed here: give --policy, or set "
                                     "policies in [policy-check]",
                                     policy.error().message),
                         policy.error().exit_code};
        if (!policy)
            return policy.error();
        system_policies_.push_back(std::move(*policy));
    }
    auto inline_rules = level_rules(&table, "system");
    if (!inline_rules)
        return inline_rules.error();

    std::vector<const Policy*> sources;
    for (const Policy& policy : system_policies_)
        sources.push_back(&policy);
    sources.push_back(*inline_rules);
    if (auto s = read_archive_limits(table); !s)
        return s;
    if (auto s = read_body_limit(options, table); !s)
        return s;
    if (auto s = add_system_rules(sources); !s)
        return s;
    if (system_.empty())
        log::warning("no policy loaded: messages pass unless a domain or "
                     "user rule holds them");
    return {};
}

// Rule ids are unique across all system sources, so a verdict's rule id
// names one rule and a lower level can name the rule it changes.
Status Checker::add_system_rules(const std::vector<const Policy*>& sources) {
    std::vector<std::string> ids;
    for (const Policy* policy : sources) {
        if (auto s = lists_.load_for(*policy, wordlists_dir_); !s)
            return s;
        for (const auto& rule : policy->rules) {
            if (std::find(ids.begin(), ids.end(), rule->id) != ids.end())
                return Error{
                    rule->where,
                    fmt::format("rule id \"{}\" is used twice", rule->id),
                    ExitCode::config};
            ids.push_back(rule->id);
            system_.push_back(rule);
        }
    }
    return {};
}

constexpr int64_t most_archive_depth = 64;

Status Checker::read_archive_limits(const toml::table& table) {
    const toml::table* archive = table["archive"].as_table();
    if (!archive)
        return {};
    std::pair<const char*, size_t*> keys[] = {
        {"max_entries", &archive_limits_.max_entries},
        {"max_entry_bytes", &archive_limits_.max_entry_bytes},
        {"max_total_bytes", &archive_limits_.max_total_bytes}};
    for (auto&& [key, node] : *archive) {
        auto value = node.value<int64_t>();
        if (!value || *value <= 0)
            return Error{
                config::where(config_, node),
                fmt::format("archive.{} must be a positive integer", key.str()),
                ExitCode::config};
        // Each level keeps an archive reader and its member open; past a
        // few dozen levels nothing wanted is left, and a value past int
        // would wrap to a negative depth that lists no archive at all.
        if (key.str() == "max_depth") {
            if (*value > most_archive_depth)
                return Error{config::where(config_, node),
                             fmt::format("archive.max_depth must be 1 to {}",
                                         most_archive_depth),
                             ExitCode::config};
            archive_limits_.max_depth = static_cast<int>(*value);
            continue;
        }
        auto known =
            std::find_if(std::begin(keys), std::end(keys),
                         [&](const auto& k) { return key.str() == k.first; });
        if (known == std::end(keys))
            return Error{config::where(config_, node),
                         fmt::format("unknown archive limit \"{}\"", key.str()),
                         ExitCode::config};
        *known->second = static_cast<size_t>(*value);
    }
    return {};
}

// The command line wins over the configuration, which wins over the
// default.
Status Checker::read_body_limit(const Options& options,
                                const toml::table& table) {
    max_body_bytes_ = default_max_body_bytes;
    if (const toml::node* node = table.get("max_body_bytes")) {
        auto value = node->value<int64_t>();
        if (!value || *value <= 0)
            return Error{config::where(config_, *node),
                         "max_body_bytes must be a positive integer",
                         ExitCode::config};
        max_body_bytes_ = static_cast<size_t>(*value);
    }
    if (options.max_body_bytes > 0)
        max_body_bytes_ = options.max_body_bytes;
    return {};
}

Result<const Policy*> Checker::level_rules(const toml::table* table,
                                           std::string_view level) {
    auto cached = level_policies_.find(table);
    if (cached != level_policies_.end())
        return &cached->second;
    // Rules below system level live in the domain file, so they name it.
    auto where = [&](const toml::node& node) {
        const auto& source = node.source();
        return fmt::format("{}:{}", source.path ? *source.path : config_.path,
                           source.begin.line);
    };
    Policy policy;
    if (table) {
        if (auto s = report_problems(setting_problems(*table)); !s)
            return s.error();
        auto read = policy::read_rules(*table, level, where);
        if (!read)
            return read.error();
        policy = std::move(*read);
        if (auto s = lists_.load_for(policy, wordlists_dir_); !s)
            return s.error();
    }
    return &(level_policies_[table] = std::move(policy));
}

Result<const RuleSet*> Checker::rules_for(const levels::Layers& layers) {
    auto key = std::make_tuple(layers.domain, layers.user);
    auto cached = rule_sets_.find(key);
    if (cached != rule_sets_.end())
        return &cached->second;
    RuleSet set;
    for (const auto& rule : system_)
        set.rules.push_back(rule.get());
    const toml::table* lower[] = {layers.domain, layers.user};
    for (size_t i = 0; i < 2; ++i) {
        if (!lower[i])
            continue;
        auto policy = level_rules(lower[i], level_names[i + 1]);
        if (!policy)
            return policy.error();
        for (const auto& rule : (*policy)->rules)
            merge_rule(set.rules, *rule, layers, i + 1, set.refused);
    }
    apply_disables(set, layers);
    return &(rule_sets_[key] = std::move(set));
}

// Each of the domain's parties is read as a message for it would be, so
// a rule of any user that would hold that user's mail is found here.
Result<size_t> Checker::check_domain(const std::string& domain) {
    auto parties = hierarchy_.domain_layers(domain);
    if (!parties)
        return parties.error();
    size_t count = 0;
    for (size_t i = 0; i < parties->size(); ++i) {
        const levels::Layers& layers = (*parties)[i];
        if (auto set = rules_for(layers); !set)
            return set.error();
        // The first party is the domain itself, each other one a user.
        auto own = i == 0 ? level_rules(layers.domain, "domain")
                          : level_rules(layers.user, "user");
        if (!own)
            return own.error();
        count += (*own)->rules.size();
    }
    return count;
}

bool Checker::is_local(std::string_view address) const {
    std::string domain = mail::domain_of(address);
    return std::find(local_domains_.begin(), local_domains_.end(), domain) !=
           local_domains_.end();
}

policy::Direction Checker::direction(std::string_view sender,
                                     std::string_view rcpt) const {
    bool from_local = is_local(sender);
    bool to_local = is_local(rcpt);
    if (from_local && to_local)
        return policy::Direction::internal;
    if (to_local)
        return policy::Direction::inbound;
    return policy::Direction::outbound;
}

// A domain file read as a main file would have its policies and
// wordlists_dir followed, which a run never does: a domain's
// administrator could make whoever checks the file open any other.
bool is_domain_file(const Options& options) {
    namespace fs = std::filesystem;
    std::error_code ignored;
    fs::path folder = fs::weakly_canonical(
        fs::absolute(options.check_file, ignored).parent_path(), ignored);
    if (folder.filename() == "domains")
        return true;
    return fs::equivalent(folder, configured_domains_dir(options), ignored);
}

Result<std::string> check_file(const std::string& path,
                               const std::string& wordlists_dir) {
    auto loaded = config::load(path, true);
    if (!loaded)
        return loaded.error();
    toml::table& root = loaded->root;
    if (root.contains("users"))
        return Error{path,
                     "holds [users], as only a domain file does: check it "
                     "in its domains folder, or name that folder with "
                     "--domains-dir",
                     ExitCode::config};
    // A policy file holds [[rule]]s; a main configuration holds tables
    // ([wiretap], [limits]), with or without [policy-check] (walkthrough:
    // one with none was read as a policy file and refused).
    bool main_file = root.contains(tool_name) ||
                     (!root.contains("rule") &&
                      std::any_of(root.begin(), root.end(), [](auto& entry) {
                          return entry.second.is_table();
                      }));
    if (!main_file) {
        auto policy = policy::load_policy_file(path);
        if (!policy)
            return policy.error();
        policy::WordLists lists;
        std::string dir =
            wordlists_dir.empty() ? default_wordlists_dir() : wordlists_dir;
        if (auto s = lists.load_for(*policy, dir); !s)
            return s.error();
        return rule_summary(path, policy->rules.size());
    }
    config::Config config;
    config.path = path;
    config.root = std::move(root);
    config.keys = config_keys;
    size_t unknown = report_unknown_keys(config);
    Options options;
    options.wordlists_dir = wordlists_dir;
    auto checker = Checker::create(options, config);
    if (!checker)
        return checker.error();
    if (unknown > 0)
        return Error{
            path,
            fmt::format("{} unknown key{}", unknown, unknown == 1 ? "" : "s"),
            ExitCode::config};
    return rule_summary(path, (*checker)->system_rule_count());
}

// The file is read from its own folder by the name a recipient's domain
// would find it under, through the code a run uses, so what a run would
// warn of is warned of here in the same words.
Result<std::string> check_domain_file(const Options& options,
                                      const config::Config& config) {
    std::filesystem::path file(options.check_file);
    std::string domain = file.stem().string();
    if (file.extension() != ".toml" ||
        levels::safe_domain(mail::domain_of("@" + domain)) != domain)
        return Error{options.check_file,
                     "no recipient's domain finds this file: a domain "
                     "file is named DOMAIN.toml, the domain in lower case "
                     "(an A-label when internationalised)",
                     ExitCode::config};
    Options reading = options;
    reading.domains_dir = file.parent_path().string();
    if (reading.domains_dir.empty())
        reading.domains_dir = ".";
    auto checker = Checker::create(reading, config);
    if (!checker)
        return checker.error();
    auto count = (*checker)->check_domain(domain);
    if (!count)
        return count.error();
    auto unknown = count_unknown_domain_keys(config, options.check_file);
    if (!unknown)
        return unknown.error();
    if (*unknown > 0)
        return Error{
            options.check_file,
            fmt::format("{} unknown key{}", *unknown, *unknown == 1 ? "" : "s"),
            ExitCode::config};
    return rule_summary(options.check_file, *count);
}

ExitCode run(const Options& options, const config::Config& config) {
    auto checker = Checker::create(options, config);
    if (!checker) {
        log::error(checker.error().text());
        return checker.error().exit_code;
    }
    return filter::run(options.common, tool_name, [&](stream::Record& record) {
        return (*checker)->handle(record);
    });
}

} // namespace portcullis::policy_check
