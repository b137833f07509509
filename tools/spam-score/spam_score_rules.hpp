// spam-score's rule language: the parts of SpamAssassin's .cf syntax that
// administrators use most (header, body, rawbody, uri, full, meta, score,
// describe, tflags, exists:), run on RE2. A rule RE2 cannot express is
// reported with file:line and skipped, never translated into another,
// and so is every meta rule that depends on it.
#pragma once

#include "spam_score_conditions.hpp"

#include "core/result.hpp"

#include <re2/re2.h>
#include <re2/set.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace portcullis::spam_score {

/// What part of a message a rule looks at.
enum class RuleKind { header, body, rawbody, uri, full, meta, builtin };

/// One rule as loaded.
struct Rule {
    std::string name;
    RuleKind kind = RuleKind::body;
    std::string selector; ///< header rules: "subject", "from:addr", "ALL"
    bool exists = false;  ///< header NAME exists:Header
    bool negate = false;  ///< !~
    std::string pattern;  ///< RE2 syntax, flags inline
    std::optional<std::string> if_unset;
    std::string expression; ///< meta rules
    /// The score with Bayes on: SpamAssassin's set 2, the third of four
    /// scores, or the only one.
    std::optional<double> score;
    /// The score without Bayes (--no-bayes, or too little learned):
    /// set 0, the first of four scores; unset means score.
    std::optional<double> score_without_bayes;
    std::string description;
    std::string tflags;
    std::string where;       ///< file:line of the definition
    std::string score_where; ///< file:line of the first score line
};

/// A line that was not loaded, and why.
struct Problem {
    std::string where;
    std::string message;
};

/// The parts of one message that rules look at.
struct MessageView {
    /// Header values by selector ("subject", "from:addr", "ALL"); a
    /// selector absent from the map means the header is absent.
    std::map<std::string, std::string> headers;
    /// The subject, then each paragraph of the cleaned body text, each
    /// ended by "\n"; body rules match each paragraph on its own.
    std::string body;
    std::string rawbody; ///< decoded text parts, HTML kept
    std::string full;    ///< the message as it came, up to the body cap
    /// Every form of every link, each once: first those SpamAssassin's
    /// uri rules read (each link as written, and the forms its
    /// canonicalisation adds), then the normalised links (look-alikes
    /// folded, hxxp undone, host in lower case) that none of those is.
    std::vector<std::string> uris;
    /// How many of uris, at their end, are normalised links alone: a
    /// tflags multiple rule counts its matches in the others only, as
    /// SpamAssassin counts them.
    size_t normalised_only_uris = 0;
};

/// Which of a rule's scores a message is judged by. SpamAssassin keeps
/// four sets, for Bayes and network tests each on or off; this tool runs
/// no network tests, so only sets 0 and 2 are read.
enum class ScoreSet { without_bayes, with_bayes };

/// One rule that fired.
struct Hit {
    std::string name;
    double score = 0;
    std::string description;
};

class MetaExpression;

/// The longest rule name read.
inline constexpr size_t max_rule_name = 128;

/// Whether name can name a rule: SpamAssassin's \w+, in ASCII, at most
/// max_rule_name long. Rule names go into headers and logs, so no other
/// name is ever read, or written.
bool is_rule_name(std::string_view name);

/// Whether a tflags line holds flag as a word of its own ("multiple",
/// "nosubject"; "maxhits" in "maxhits=5").
bool has_tflag(std::string_view tflags, std::string_view flag);

/// A loaded and compiled rule set.
class RuleSet {
public:
    RuleSet();
    ~RuleSet();
    RuleSet(RuleSet&&) noexcept;
    RuleSet& operator=(RuleSet&&) noexcept;

    /// Declares a rule whose hit the engine computes (BAYES_99).
    void declare_builtin(const std::string& name);

    /// Loads rules from text; where_prefix names the file in problems.
    void load_text(std::string_view text, const std::string& file);

    /// Loads one .cf file, or every .cf file of a folder in name order;
    /// in a folder, hidden files are ignored and what is not a regular
    /// file is skipped as a problem.
    Status load_path(const std::string& path);

    /// Loads the default rules folder, which must be a folder and give at
    /// least one rule.
    Status load_folder(const std::string& path);

    /// The memory one RE2::Set may use unless configured otherwise.
    static constexpr size_t default_set_memory_bytes = size_t{64} << 20;
    /// The memory all compiled rules may use unless configured otherwise.
    static constexpr size_t default_total_memory_bytes = size_t{512} << 20;

    /// Compiles every pattern and meta expression; skips and reports
    /// those that do not compile. Patterns that read the same text share
    /// RE2::Sets of at most set_memory_bytes each, and all of them use
    /// at most total_memory_bytes; a rule beyond either is skipped.
    void compile(size_t set_memory_bytes = default_set_memory_bytes,
                 size_t total_memory_bytes = default_total_memory_bytes);

    /// Returns the lines and rules that were skipped, in order.
    const std::vector<Problem>& problems() const { return problems_; }

    /// Returns the header selectors the loaded rules read.
    const std::set<std::string>& selectors() const { return selectors_; }

    /// Returns the rules that fired, given the built-in rules that did,
    /// with their scores in set, sorted by score, highest first. A rule
    /// whose score in set is 0 is not named.
    std::vector<Hit> match(const MessageView& message,
                           const std::set<std::string>& builtin_hits,
                           ScoreSet set = ScoreSet::with_bayes) const;

    /// Returns a rule by name, or nullptr.
    const Rule* find(const std::string& name) const;

    /// Returns the number of rules loaded, those switched off by a zero
    /// score among them.
    size_t size() const { return order_.size(); }

    /// Returns the memory the compiled rules may use at most, in bytes.
    size_t memory_bytes() const { return memory_used_; }

private:
    struct Group;
    struct Chunk;
    struct Counter;
    struct Plan;
    /// A rule as matching reads it, numbered in name order.
    struct Entry {
        const Rule* rule;
        double score;
        double score_without_bayes;
        bool sub_rule; ///< a __ rule, never named
    };
    void parse_line(std::string_view raw, const std::string& where);
    bool parse_setting(const std::string& directive, std::string_view rest,
                       const std::string& where);
    void report_directives();
    void parse_rule(RuleKind kind, std::string_view rest,
                    const std::string& where);
    void refuse(const std::string& name, const std::string& where,
                const std::string& why);
    bool is_defined(const std::string& name) const;
    Rule& rule(const std::string& name);
    Group& group_for(RuleKind kind, const std::string& selector);
    double score_of(const Rule& rule) const;
    double score_without_bayes_of(const Rule& rule) const;
    static bool is_switched_off(const Rule& rule);
    bool is_off(int id) const {
        return is_switched_off(*table_[static_cast<size_t>(id)].rule);
    }
    int id_of(const std::string& name) const;
    bool is_evaluated(const std::string& name) const;
    void number_rules();
    void build_chunks(Group& group, std::vector<int> ids,
                      std::vector<std::string> patterns, size_t memory_bytes);
    void plan_group(Group& group, const std::vector<std::pair<int, int>>& sizes,
                    std::vector<Plan>& plans);
    void plan_counters(std::vector<Plan>& plans);
    size_t largest_set() const;
    std::vector<Plan> admit(std::vector<Plan> plans);
    void share_memory(std::vector<Plan>& plans) const;
    void build(std::vector<Plan>& plans);
    void drop(int id, const std::string& why);
    void drop_unbuilt(std::vector<std::string>& kept);
    void settle_absent(Group& group);
    void report_undefined_scores();
    void drop_tagged_rules();
    void drop_broken_metas();
    void drop_meta_cycles();
    void drop_switched_off_metas();
    void settle_set_switches();
    void match_chunk(const Chunk& chunk, std::string_view text,
                     std::vector<char>& fired, std::vector<int>& matched) const;
    void match_text(const Group& group, std::string_view text,
                    std::vector<char>& fired, std::vector<int>& matched) const;
    void match_paragraphs(const Group& group, std::string_view body,
                          std::vector<char>& fired,
                          std::vector<int>& matched) const;
    void match_groups(const MessageView& message,
                      std::vector<uint32_t>& hits) const;
    void count_hits(const MessageView& message,
                    std::vector<uint32_t>& hits) const;
    void evaluate_metas(std::vector<uint32_t>& hits, ScoreSet set) const;
    /// Per score set, by id: the rule is switched off in that set alone
    /// (scored 0 there and not in the other), as SpamAssassin runs no
    /// rule scored 0 in the set it uses; a meta rule too when a meta rule
    /// it uses is.
    std::array<std::vector<char>, 2> off_in_set_;

    std::map<std::string, Rule> rules_;
    std::vector<std::string> order_;
    std::unordered_set<std::string> ordered_; ///< the names in order_
    std::vector<Problem> problems_;
    std::set<std::string> skipped_; ///< rules refused as they were read
    std::set<std::string> tagged_;  ///< rules named by replace_rules
    Conditions conditions_;
    /// directive -> (where first seen, lines seen, advice); no advice
    /// for a directive spam-score does not know at all
    struct Directive {
        std::string where;
        size_t lines = 0;
        std::string advice;
    };
    std::map<std::string, Directive> directives_;
    std::set<std::string> selectors_;
    std::vector<std::unique_ptr<Group>> groups_;
    std::map<int, std::unique_ptr<MetaExpression>> metas_;
    std::vector<int> meta_order_;
    std::set<std::string> builtins_;
    size_t set_memory_ = default_set_memory_bytes;
    size_t total_memory_ = default_total_memory_bytes;
    size_t memory_used_ = 0;
    std::vector<std::unique_ptr<Counter>> counters_; ///< tflags multiple
    std::unordered_map<std::string, int> ids_;
    std::vector<Entry> table_;
    std::vector<int> exists_;
    std::vector<size_t> read_at_; ///< by id: where order_ had the rule
    std::set<int> dropped_;
};

} // namespace portcullis::spam_score
