// spam-score's logic: score each message once (rules, Bayes, fuzzy
// signatures), then judge the score against each recipient's thresholds
// and lists; and learn from, forget or report messages.
#pragma once

#include "core/paths.hpp"

#include "core/filter.hpp"
#include "core/levels.hpp"
#include "core/state_store.hpp"
#include "mail/envelope.hpp"
#include "mail/verdict.hpp"
#include "spam_score_analysis.hpp"
#include "spam_score_bayes.hpp"
#include "spam_score_fuzzy.hpp"
#include "spam_score_lists.hpp"
#include "spam_score_ngram.hpp"
#include "spam_score_rules.hpp"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace portcullis::spam_score {

/// The tool's name as verdicts and diagnostics write it.
inline constexpr const char* tool_name = "spam-score";

/// The keys [spam-score] may hold, and those read at system level alone.
inline const config::Keys config_keys{
    tool_name,
    {"rules_dir",
     "local_rules",
     "bayes.min_learned",
     "bayes.prior_messages",
     "bayes.min_strength",
     "bayes.max_tokens",
     "thresholds.tag",
     "thresholds.folder",
     "thresholds.quarantine",
     "thresholds.reject",
     "thresholds.discard",
     "subject_tag",
     "block_senders",
     "block_clients",
     "allow_senders",
     "allow_clients",
     "locked",
     "allow_looser",
     "rule_set_memory_mib",
     "rules_memory_mib",
     "state.max_tokens",
     "state.max_signatures",
     "state.signature_days",
     "state.max_examples",
     "max_body_bytes",
     "max_links"},
    // One message has one rule set, one Bayes reckoning and one
    // subject: these cannot differ per recipient.
    {"rules_dir", "local_rules", "bayes.min_learned", "bayes.prior_messages",
     "bayes.min_strength", "bayes.max_tokens", "subject_tag",
     "rule_set_memory_mib", "rules_memory_mib", "state.max_tokens",
     "state.max_signatures", "state.signature_days", "state.max_examples",
     "max_body_bytes", "max_links"},
    {{"bayes.unknown_strength",
      "it went with Robinson's estimate (2026-12-06); bayes.prior_messages "
      "takes its place, on another scale: leave both out for the default"}}};

/// Options beyond the common ones.
struct Options {
    filter::CommonOptions common;
    std::string rules_dir = paths::share_dir() + "/rules";
    bool rules_dir_given = false;         ///< --rules-dir beats rules_dir
    std::vector<std::string> extra_rules; ///< admin folders, after defaults
    size_t max_body_bytes = 512 * 1024;
    size_t max_links = default_max_links;
    bool use_bayes = true;
    bool use_fuzzy = true;
    bool lint = false; ///< report rule problems and exit
};

/// What learn and report do with each message.
struct LearnOptions {
    bool spam = false;
    bool ham = false;
    bool forget = false;
    bool report = false;  ///< log each message as a user's report
    std::string reporter; ///< who reports; empty: the invoking user
};

/// The score of one message before recipients are judged.
struct Score {
    double total = 0;
    std::vector<Hit> hits;
    std::optional<double> bayes;
    std::optional<double> ngram; ///< the n-gram model's probability
    std::optional<FuzzyMatch> fuzzy;
    std::string from_address; ///< the one From mailbox, else empty
    /// Every mailbox of every From header, lower case, trailing dots off.
    std::vector<std::string> from_addresses;
    size_t from_headers = 0;
    bool body_truncated = false;
    std::string unreadable; ///< why no MIME tree could be read, if so
};

/// One Bayes token of a message and what was learned of it.
struct TokenEvidence {
    std::string token;
    state::TokenCounts counts;
    double probability = 0.5;
};

/// What Bayes made of one message, for `spam-score explain`.
struct BayesExplanation {
    std::optional<double> probability; ///< nullopt: too little learned
    state::Totals totals;
    size_t token_count = 0;   ///< tokens of the message
    size_t learned_count = 0; ///< of them, tokens learned before
    /// The learned tokens far enough from 0.5 to count, strongest first;
    /// the combination uses at most bayes.max_tokens of them.
    std::vector<TokenEvidence> tokens;
    /// The n-gram model's probability, when a model was fitted.
    std::optional<double> ngram;
};

/// The actions bands can give, with the score each starts at.
struct Bands {
    std::optional<double> tag, folder, quarantine, reject, discard;
};

/// A lower level's setting that did not count, and why.
struct Refusal {
    std::string key; ///< "thresholds.tag", "allow_senders", ...
    std::string why; ///< "user refused: locked at system level"
};

/// What one set of levels makes of a scored message.
struct Judgement {
    verdict::Action action = verdict::Action::pass;
    std::optional<Hit> list_hit; ///< BLOCKLISTED or ALLOWLISTED
    std::vector<Refusal> refused;
};

/// The one recipient of a message and that recipient's judgement.
struct Reader {
    std::string rcpt;
    Judgement judgement;
};

/// The parts of one message the engine reads, computed once.
struct Analysis;

/// Loaded rules, learned state and configuration, shared by all messages.
class Engine {
public:
    /// Loads rules and opens the state store.
    static Result<std::unique_ptr<Engine>> open(const Options& options,
                                                const config::Config& config);

    /// Scores one message; arrival is what its envelope says of it.
    Result<Score> score(std::string_view message,
                        const Arrival& arrival = {}) const;

    /// Returns the Bayes tokens of one message with their learned
    /// counts; an error when nothing was learned or the message is
    /// unreadable.
    Result<BayesExplanation> explain(std::string_view message) const;

    /// Handles one record: score, judge each recipient, tag.
    Result<filter::Outcome> handle(stream::Record& record);

    const RuleSet& rules() const { return rules_; }

    /// Why Bayes and fuzzy checks are off, when they are.
    const std::optional<Error>& store_problem() const { return store_problem_; }

private:
    using LayerKey =
        std::tuple<const toml::table*, const toml::table*, const toml::table*>;

    Engine(const Options& options, const config::Config& config)
        : options_(options), config_(config), hierarchy_(config, tool_name),
          lists_(config.tool(tool_name)) {}

    /// Tags the message and adds the X-Spam-* fields as rcpt's levels
    /// judge it; an empty rcpt stands for the system level.
    void rewrite(stream::Record& record, const Score& shown,
                 verdict::Action action, std::string_view rcpt);
    /// Judges the message at the system level and for each recipient;
    /// a message of one recipient also gets that recipient's judgement
    /// in reader.
    Judgement judge_recipients(const stream::Record& record, const Score& score,
                               const mail::Envelope& envelope,
                               verdict::Verdict& verdict, Reader& reader);
    const Judgement& judgement(const levels::Layers& layers, const Score& score,
                               const Senders& senders,
                               const std::optional<net::Address>& client);
    Judgement judge(const levels::Layers& layers, const Score& score,
                    const Senders& senders,
                    const std::optional<net::Address>& client);
    bool blocked(const levels::Layers& layers, const Senders& senders,
                 const std::optional<net::Address>& client,
                 std::vector<Refusal>& refused);
    bool allowed(const levels::Layers& layers, const Senders& senders,
                 const std::optional<net::Address>& client,
                 std::vector<Refusal>& refused);
    levels::Layers layers_for(std::string_view rcpt);

    const Options& options_;
    const config::Config& config_;
    levels::Hierarchy hierarchy_;
    uint64_t hierarchy_generation_ = 0;
    RuleSet rules_;
    std::unique_ptr<state::Store> store_;
    std::unique_ptr<FuzzyIndex> fuzzy_;
    std::optional<NgramModel> ngram_;
    std::string subject_tag_; ///< left out of the n-gram features
    ListCache lists_;
    BayesSettings bayes_settings_;
    std::optional<Error> store_problem_;        ///< why Bayes and fuzzy are off
    std::set<std::string> reported_;            ///< errors logged once
    std::set<const toml::table*> type_checked_; ///< domain and user tables
    /// This record's judgements by the tables they were made from:
    /// recipients who share their levels share one judgement.
    std::map<LayerKey, Judgement> judged_;
};

/// Returns the senders of a scored message as lists compare them; a
/// guessed envelope sender is marked so.
Senders senders_of(const Score& score, const mail::Envelope& envelope);

/// Returns a score rounded to three decimals, as bands compare it and
/// verdicts write it; never -0.
double rounded_score(double score);

/// Returns the band action a score reaches, or pass.
verdict::Action band_action(const Bands& bands, double score);

/// Returns the SpamAssassin-compatible X-Spam-* header fields; a long
/// X-Spam-Status is folded with "\n\t" as SpamAssassin folds it.
std::vector<std::pair<std::string, std::string>>
spam_headers(const Score& score, double required, bool is_spam);

/// Returns the subject tag spam-score puts on spam, from the system
/// level only, control characters removed; empty when none is set.
std::string configured_subject_tag(const config::Config& config);

/// Returns the message with the fields added at the end of its header
/// block, after any lines before its first header field, and every
/// X-Spam-* field already there removed; folds in the values take the
/// message's own line ending.
std::string
add_spam_fields(std::string_view message,
                const std::vector<std::pair<std::string, std::string>>& fields);

/// Returns "file:line: problem" for each [spam-score] value of the wrong
/// type in table (a string where a list is expected, and so on), and
/// each list entry that is no sender or client form.
std::vector<std::string> type_problems(const toml::table& table);

/// Logs every wrongly typed setting of [spam-score] and returns an
/// Error (78) naming the last, or nothing when all are well typed.
Status config_problems(const config::Config& config);

/// Returns an Error (69) when the store holds learning of another token
/// format, or learning with no format recorded: its counts describe
/// other tokens than this spam-score makes.
Status token_format_problem(state::Store& store, const std::string& path);

/// Runs the scoring filter over all inputs; returns the exit status.
ExitCode run(const Options& options, const config::Config& config);

/// Learns, forgets or reports every input; returns the exit status.
ExitCode learn(const Options& options, const config::Config& config,
               const LearnOptions& learn);

/// How much learning the state keeps, from [spam-score.state]: 2
/// million tokens (well under the 4 million a scorer holds in memory),
/// 100,000 fuzzy signatures, each for 180 days, and the n-gram features
/// of the last 10,000 messages learned.
state::PruneLimits prune_limits(const config::Config& config);

/// Prunes the state folder's database to prune_limits(config); returns
/// the exit status.
ExitCode prune(const Options& options, const config::Config& config);

/// Prints, for every input, the Bayes probability and the top tokens
/// that made it; returns the exit status.
ExitCode explain(const Options& options, const config::Config& config,
                 size_t top);

/// Loads the rules, prints each problem and returns 0 when there is none.
ExitCode lint(const Options& options, const config::Config& config);

} // namespace portcullis::spam_score
