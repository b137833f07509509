// Scoring and judging. A message is scored once; each recipient's bands
// and lists then turn that one score into that recipient's action, so a
// message to many users costs one scan, not one per user.
#include "spam_score.hpp"

#include "core/strings.hpp"

#include "core/ip_network.hpp"
#include "core/log.hpp"
#include "core/sqlite_store.hpp"
#include "mail/envelope.hpp"
#include "mail/header_edit.hpp"
#include "mail/verdict.hpp"
#include "spam_score_analysis.hpp"
#include "spam_score_identity.hpp"
#include "spam_score_lists.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <limits>
#include <set>

namespace portcullis::spam_score {

namespace {

constexpr double off = std::numeric_limits<double>::infinity();
constexpr int64_t max_set_memory_mib = 4096;
constexpr int64_t max_rules_memory_mib = 65536;

std::string state_path(const Options& options) {
    return options.common.state_dir + "/spam-score.sqlite";
}

// Why the state database is not there to read, or nullopt when it is.
std::optional<Error> missing_store(const std::string& dir,
                                   const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0)
        return std::nullopt;
    int why = errno;
    if (why == ENOTDIR ||
        (::stat(dir.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)))
        return Error{dir, "the state folder is not a folder",
                     ExitCode::unavailable};
    if (why != ENOENT)
        return Error{path, std::strerror(why), ExitCode::unavailable};
    // A mistyped --state-dir or a folder not mounted yet must not pass
    // for a filter that has simply not been trained.
    if (::stat(dir.c_str(), &st) != 0)
        return Error{dir, "no such state folder", ExitCode::unavailable};
    return Error{path, "nothing learned yet", ExitCode::unavailable};
}

// Loads one rules path; one the configuration names is taken from the
// configuration file's folder, and an error about it names file:line.
Status load_configured(RuleSet& rules, const config::Config& config,
                       const toml::node& node, std::string_view key,
                       bool folder) {
    auto path = config::path_value(config, node, key);
    if (!path)
        return path.error();
    Status s = folder ? rules.load_folder(*path) : rules.load_path(*path);
    if (!s)
        return Error{config::where(config, node), s.error().text(),
                     s.error().exit_code};
    return {};
}

// Reads a memory setting in MiB, 1 to max_mib; fallback when unset.
Result<size_t> memory_setting(const config::Config& config, const char* key,
                              size_t fallback, int64_t max_mib) {
    const toml::node* node = config.tool(tool_name).get(key);
    if (!node)
        return fallback;
    auto mib = node->value<int64_t>();
    if (!mib || *mib < 1 || *mib > max_mib)
        return Error{config::where(config, *node),
                     fmt::format("{} must be 1 to {}", key, max_mib),
                     ExitCode::config};
    return static_cast<size_t>(*mib) << 20;
}

Status load_rules(RuleSet& rules, const Options& options,
                  const config::Config& config) {
    for (const std::string& name : builtin_names())
        rules.declare_builtin(name);
    const toml::table& table = config.tool(tool_name);
    // A flag given on the command line beats the file.
    const toml::node* dir =
        options.rules_dir_given ? nullptr : table.get("rules_dir");
    Status s = dir ? load_configured(rules, config, *dir, "rules_dir", true)
                   : rules.load_folder(options.rules_dir);
    if (!s && !dir && !options.rules_dir_given &&
        ::access(options.rules_dir.c_str(), F_OK) != 0)
        return Error{options.rules_dir,
                     fmt::format("{}; the default rules are not installed "
                                 "here: give --rules-dir, or set rules_dir "
                                 "in [spam-score]",
                                 s.error().message),
                     s.error().exit_code};
    if (!s)
        return s;
    if (const toml::array* list = table["local_rules"].as_array())
        for (const toml::node& node : *list)
            if (!(s = load_configured(rules, config, node, "local_rules",
                                      false)))
                return s;
    for (const std::string& path : options.extra_rules)
        if (!(s = rules.load_path(path)))
            return s;
    auto set_memory =
        memory_setting(config, "rule_set_memory_mib",
                       RuleSet::default_set_memory_bytes, max_set_memory_mib);
    if (!set_memory)
        return set_memory.error();
    auto total_memory = memory_setting(config, "rules_memory_mib",
                                       RuleSet::default_total_memory_bytes,
                                       max_rules_memory_mib);
    if (!total_memory)
        return total_memory.error();
    rules.compile(*set_memory, *total_memory);
    return {};
}

// -0.0 is a number JSON readers print as "-0": a score of nothing is 0.
double plus_zero(double value) {
    return value == 0 ? 0.0 : value;
}

Score tally(Score score) {
    for (const Hit& hit : score.hits)
        score.total += hit.score;
    score.total = rounded_score(score.total);
    return score;
}

using config::Kind;

constexpr config::KeyKind key_kinds[] = {
    {"rules_dir", Kind::text},
    {"subject_tag", Kind::text},
    {"local_rules", Kind::text_list},
    {"block_senders", Kind::text_list},
    {"block_clients", Kind::text_list},
    {"allow_senders", Kind::text_list},
    {"allow_clients", Kind::text_list},
    {"locked", Kind::text_list},
    {"allow_looser", Kind::text_list},
    // Out of these ranges Bayes says nothing, or nonsense: a
    // prior_messages near 0 gives a token one class never held a
    // probability of 0 or 1, so that a spam with a few words of ham is
    // called 0.5 as both sides saturate; one of millions pulls every
    // token to 0.5. A min_strength of 0.5 drops every token.
    // With none of one class learned, every token says the other class:
    // Bayes needs at least one of each before it says anything.
    {"bayes.min_learned", Kind::count, {.min = 1}},
    {"bayes.prior_messages", Kind::number, {.min = 1, .max = 1000}},
    {"bayes.min_strength",
     Kind::number,
     {.min = 0, .max = 0.5, .max_open = true}},
    {"bayes.max_tokens", Kind::count, {.min = 1}},
    {"state.max_tokens", Kind::count},
    {"state.max_signatures", Kind::count},
    {"state.signature_days", Kind::count},
    {"state.max_examples", Kind::count},
    {"max_body_bytes", Kind::count, {.min = 1}},
    {"max_links", Kind::count, {.min = 1}},
};

} // namespace

// A score is compared and written to three decimals, once rounded: the
// verdict then never shows a score that contradicts its action.
double rounded_score(double score) {
    return plus_zero(std::round(score * 1000) / 1000);
}

std::vector<std::string> type_problems(const toml::table& table) {
    auto found = config::kind_problems(table, key_kinds);
    auto add = [&](const toml::node& node, std::string_view key,
                   const char* kind) {
        found.emplace_back(node.source().begin.line,
                           fmt::format("{}: {} must be {}",
                                       config::source_where(node), key, kind));
    };
    const toml::node* bands = table.get("thresholds");
    if (bands && !bands->is_table())
        add(*bands, "thresholds", "a table of numbers");
    if (bands && bands->is_table())
        for (auto&& [key, node] : *bands->as_table())
            if (!config::has_kind(node, Kind::number))
                add(node, fmt::format("thresholds.{}", key.str()), "a number");
    for (auto& problem : list_problems(table))
        found.push_back(std::move(problem));
    std::stable_sort(
        found.begin(), found.end(),
        [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> out;
    for (auto& [line, text] : found)
        out.push_back(std::move(text));
    return out;
}

// A wrong type would otherwise read as absent: a block list written as
// a string would block no one, and say nothing.
Status config_problems(const config::Config& config) {
    auto wrong = type_problems(config.tool(tool_name));
    if (wrong.empty())
        return {};
    for (size_t i = 0; i + 1 < wrong.size(); ++i)
        log::error(terminal_safe(wrong[i]));
    return Error{"", terminal_safe(wrong.back()), ExitCode::config};
}

// Learning is asked about before the format: a learner stamps the
// format before it learns, so once its learning is seen, so is its
// stamp, even by a reader that is not inside a transaction.
Status token_format_problem(state::Store& store, const std::string& path) {
    auto holds = store.holds_learning();
    if (!holds)
        return holds.error();
    if (!*holds)
        return {};
    auto totals = store.totals();
    if (!totals)
        return totals.error();
    if (totals->token_format == token_format)
        return {};
    if (totals->token_format == 0)
        return Error{path,
                     "holds learned counts but no token format: learn the "
                     "messages again into a new state folder",
                     ExitCode::unavailable};
    return Error{path,
                 fmt::format("learned in token format {}, and this "
                             "spam-score makes format {}: learn the "
                             "messages again into a new state folder",
                             totals->token_format, token_format),
                 ExitCode::unavailable};
}

namespace {

// The file of a problem's "file:line".
std::string_view file_of(std::string_view where) {
    size_t colon = where.rfind(':');
    if (colon == std::string_view::npos || colon + 1 == where.size() ||
        where.find_first_not_of("0123456789", colon + 1) !=
            std::string_view::npos)
        return where;
    return where.substr(0, colon);
}

// --lint lists every rule problem. Every other run reads the rules as
// it starts, which a procmail or Sieve hook does for each message, and
// SpamAssassin's own rules have some 700 problems: one line says how
// many there are, where, and which is first, and --lint lists them.
void report_rule_problems(const std::vector<Problem>& problems, bool all) {
    if (all || problems.size() == 1) {
        for (const Problem& p : problems)
            log::warning(
                terminal_safe(fmt::format("{}: {}", p.where, p.message)));
        return;
    }
    if (problems.empty())
        return;
    std::set<std::string_view> files;
    for (const Problem& p : problems)
        files.insert(file_of(p.where));
    const Problem& first = problems.front();
    log::warning(terminal_safe(fmt::format(
        "{} rule problems in {} file{}, the first {}: {}; spam-score "
        "--lint lists them all",
        problems.size(), files.size(), files.size() == 1 ? "" : "s",
        first.where, first.message)));
}

} // namespace

Result<std::unique_ptr<Engine>> Engine::open(const Options& options,
                                             const config::Config& config) {
    if (Status s = config_problems(config); !s)
        return s.error();
    std::unique_ptr<Engine> engine(new Engine(options, config));
    if (Status s = load_rules(engine->rules_, options, config); !s)
        return s.error();
    report_rule_problems(engine->rules_.problems(), options.lint);

    const toml::table& table = config.tool(tool_name);
    BayesSettings& bayes = engine->bayes_settings_;
    bayes.min_learned =
        table["bayes"]["min_learned"].value_or(bayes.min_learned);
    bayes.prior_messages =
        table["bayes"]["prior_messages"].value_or(bayes.prior_messages);
    bayes.min_strength =
        table["bayes"]["min_strength"].value_or(bayes.min_strength);
    bayes.max_tokens = table["bayes"]["max_tokens"].value_or(bayes.max_tokens);

    std::string path = state_path(options);
    if (!(options.use_bayes || options.use_fuzzy))
        return engine;
    // A missing or damaged store must not bounce mail: scoring goes on
    // without it, and the engine remembers why.
    auto without = [&](const Error& e) {
        log::warning(e.text() + "; Bayes and fuzzy checks are off");
        engine->store_.reset();
        engine->store_problem_ = e;
        return std::move(engine);
    };
    if (auto missing = missing_store(options.common.state_dir, path))
        return without(*missing);
    auto store = state::SqliteStore::open(path, true);
    if (!store)
        return without(store.error());
    engine->store_ = std::move(*store);
    if (auto format = token_format_problem(*engine->store_, path); !format)
        return without(format.error());
    if (options.use_bayes) {
        auto stored = engine->store_->model(ngram_model_name);
        if (!stored)
            return without(stored.error());
        if (*stored) {
            engine->ngram_ = NgramModel::read(**stored);
            if (!engine->ngram_)
                log::warning(fmt::format(
                    "{}: the stored n-gram model is damaged, so its checks "
                    "are off; learning any message fits it again",
                    path));
        }
        engine->subject_tag_ = configured_subject_tag(config);
    }
    if (options.use_fuzzy) {
        auto signatures = engine->store_->signatures();
        if (!signatures)
            return without(signatures.error());
        engine->fuzzy_ = std::make_unique<FuzzyIndex>(std::move(*signatures));
    }
    return engine;
}

Result<BayesExplanation> Engine::explain(std::string_view message) const {
    if (!store_)
        return store_problem_.value_or(
            Error{state_path(options_), "Bayes is off", ExitCode::unavailable});
    auto learned = store_->totals();
    if (!learned)
        return learned.error();
    // A database whose every message was forgotten explains nothing.
    if (learned->spam + learned->ham == 0)
        return Error{state_path(options_), "nothing learned (0 spam, 0 ham)",
                     ExitCode::unavailable};
    auto analysis = analyse(message, options_.common.limits,
                            options_.max_body_bytes, options_.max_links);
    if (!analysis)
        return analysis.error();
    // What learning counted: a copy from a mailbox is explained without
    // the tag, as learning takes it off and scoring never saw it.
    analysis->text.subject =
        without_subject_tag(analysis->text.subject, subject_tag_);
    std::vector<std::string> tokens =
        tokenize(analysis->tree, analysis->decoded_headers, analysis->text,
                 analysis->uris);
    std::vector<uint64_t> hashes(tokens.size());
    std::transform(tokens.begin(), tokens.end(), hashes.begin(), token_hash);
    auto counts = store_->lookup(hashes);
    if (!counts)
        return counts.error();
    auto totals = store_->totals();
    if (!totals)
        return totals.error();
    // The same hashes scoring asks about, in the order it asks.
    std::vector<uint64_t> sorted = hashes;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    auto p = bayes_probability(*store_, sorted, bayes_settings_);
    if (!p)
        return p.error();
    BayesExplanation out{*p, *totals, tokens.size(), 0, {}, std::nullopt};
    if (ngram_)
        out.ngram = ngram_->probability(
            message_ngrams(*analysis, message, subject_tag_));
    for (size_t i = 0; i < tokens.size(); ++i) {
        const state::TokenCounts& c = (*counts)[i];
        if (c.spam + c.ham == 0)
            continue;
        ++out.learned_count;
        double f = token_probability(c, *totals, bayes_settings_);
        // Tokens this near 0.5 are left out of the reckoning.
        if (std::fabs(f - 0.5) < bayes_settings_.min_strength)
            continue;
        out.tokens.push_back({std::move(tokens[i]), c, f});
    }
    std::stable_sort(out.tokens.begin(), out.tokens.end(),
                     [](const TokenEvidence& a, const TokenEvidence& b) {
                         return std::fabs(a.probability - 0.5) >
                                std::fabs(b.probability - 0.5);
                     });
    return out;
}

Result<Score> Engine::score(std::string_view message,
                            const Arrival& arrival) const {
    auto analysis = analyse(message, options_.common.limits,
                            options_.max_body_bytes, options_.max_links);
    Score score;
    std::set<std::string> builtins;
    // Bytes no MIME parser reads still have a score: full rules read
    // them, and the verdict says why nothing else could.
    if (!analysis) {
        score.unreadable = analysis.error().text();
        MessageView view = make_view(Analysis{}, message, rules_.selectors(),
                                     options_.max_body_bytes);
        view.headers.clear();
        score.hits = rules_.match(view, builtins, ScoreSet::without_bayes);
        return tally(std::move(score));
    }
    builtins = builtin_tests(*analysis, arrival);
    if (store_ && options_.use_bayes) {
        auto p = bayes_probability(*store_,
                                   token_hashes(analysis->tree,
                                                analysis->decoded_headers,
                                                analysis->text, analysis->uris),
                                   bayes_settings_);
        if (!p)
            return p.error();
        score.bayes = *p;
        if (score.bayes)
            for (std::string& rule : bayes_rules(*score.bayes))
                builtins.insert(std::move(rule));
        // The n-gram model speaks when Bayes does: both learned from the
        // same messages, and the rules' scores with Bayes expect both.
        if (score.bayes && ngram_) {
            score.ngram = ngram_->probability(
                message_ngrams(*analysis, message, subject_tag_));
            builtins.insert(ngram_rule(*score.ngram));
        }
    }
    if (fuzzy_) {
        score.fuzzy =
            fuzzy_->best(fuzzy_signature(analysis->text), fuzzy_similar);
        if (score.fuzzy)
            builtins.insert(score.fuzzy->similarity >= fuzzy_strongly_similar
                                ? "FUZZY_SPAM_STRONG"
                                : "FUZZY_SPAM");
    }
    MessageView view = make_view(*analysis, message, rules_.selectors(),
                                 options_.max_body_bytes);
    // Without a Bayes opinion (--no-bayes, or too little learned yet) the
    // rules weigh what they weigh when nothing else helps them.
    score.hits = rules_.match(view, builtins,
                              score.bayes ? ScoreSet::with_bayes
                                          : ScoreSet::without_bayes);
    score.from_addresses = from_mailboxes(analysis->tree);
    score.from_headers = analysis->tree.header_all("From").size();
    if (score.from_headers == 1 && score.from_addresses.size() == 1)
        score.from_address = score.from_addresses.front();
    score.body_truncated = analysis->text.truncated;
    return tally(std::move(score));
}

namespace {

// The envelope's arrival time, and its client when the front end says
// what the client's address resolved to ("rdns", empty for no name);
// without that, the Received headers say who handed the message in.
Arrival arrival_of(const nlohmann::ordered_json& envelope) {
    Arrival arrival;
    if (auto it = envelope.find("received");
        it != envelope.end() && it->is_string())
        arrival.received_at = parse_rfc3339(it->get<std::string>());
    auto client = envelope.find("client");
    if (client == envelope.end() || !client->is_object())
        return arrival;
    auto text = [&](const char* key) -> std::optional<std::string> {
        auto field = client->find(key);
        if (field == client->end() || !field->is_string())
            return std::nullopt;
        return field->get<std::string>();
    };
    auto ip = text("ip");
    auto address = ip ? net::parse_client_address(*ip) : std::nullopt;
    auto rdns = text("rdns");
    if (address && rdns)
        arrival.client = received::Relay{net::to_string(*address), *rdns,
                                         text("helo").value_or("")};
    return arrival;
}

// The score as the verdict and the headers show it: the system level's
// list hit, when there is one, is a test like any rule, named first.
Score shown_score(Score score, const std::optional<Hit>& list_hit) {
    if (!list_hit)
        return score;
    score.total = rounded_score(score.total + list_hit->score);
    score.hits.insert(score.hits.begin(), *list_hit);
    return score;
}

void describe(verdict::Verdict& verdict, const Score& shown) {
    verdict.set_score(shown.total);
    if (!shown.unreadable.empty())
        verdict.add_reason({"MIME_PARSE_FAILED", 0, shown.unreadable});
    for (const Hit& hit : shown.hits)
        verdict.add_reason({hit.name, plus_zero(hit.score), hit.description});
    if (shown.bayes)
        verdict.extra()["bayes"] = std::round(*shown.bayes * 1e4) / 1e4;
    if (shown.ngram)
        verdict.extra()["ngram"] = std::round(*shown.ngram * 1e4) / 1e4;
    if (shown.fuzzy)
        verdict.extra()["fuzzy"] = {{"digest", shown.fuzzy->digest},
                                    {"similarity", shown.fuzzy->similarity}};
}

} // namespace

Result<filter::Outcome> Engine::handle(stream::Record& record) {
    auto score = this->score(record.message, arrival_of(record.envelope));
    if (!score)
        return score.error();
    // A plain file has no envelope: recipients and sender are guessed
    // from its headers, and the verdict says so.
    mail::Envelope envelope =
        mail::read_envelope(record.envelope, record.message,
                            options_.common.limits.header_block_bytes);

    verdict::Verdict verdict(tool_name, PORTCULLIS_VERSION);
    Reader reader;
    Judgement message =
        judge_recipients(record, *score, envelope, verdict, reader);
    Score shown = shown_score(*score, message.list_hit);
    describe(verdict, shown);
    if (envelope.rcpt_guessed)
        verdict.extra()["envelope_guessed"] = true;

    // The bytes of a message for one recipient (procmail, a Sieve or
    // LDA hook) carry that recipient's judgement; those shared by many
    // carry the system level's, as each recipient's own action is in
    // the verdict for the daemon to act on.
    if (options_.common.form != filter::OutputForm::json) {
        if (reader.rcpt.empty())
            rewrite(record, shown, verdict.action(), "");
        else
            rewrite(record, shown_score(*score, reader.judgement.list_hit),
                    reader.judgement.action, reader.rcpt);
    }
    filter::Outcome outcome{verdict.to_json(), {}};
    outcome.events.push_back(
        {"score",
         {{"score", shown.total},
          {"action", verdict::to_string(verdict.action())}}});
    return outcome;
}

void Engine::rewrite(stream::Record& record, const Score& shown,
                     verdict::Action action, std::string_view rcpt) {
    // An empty message (one an earlier filter deleted) stays empty: header
    // fields alone would deliver a message nobody sent.
    if (record.message.empty())
        return;
    // "required" is where the reader's level (the system's for a message
    // of many recipients) starts to act, so the shown score and the Yes
    // or No never disagree, whichever band comes first.
    using levels::Hierarchy;
    levels::Layers layers =
        rcpt.empty()
            ? levels::Layers{&config_.tool(tool_name), nullptr, nullptr}
            : layers_for(rcpt);
    double required = Hierarchy::number(layers, "thresholds.tag", 5.0,
                                        levels::Stricter::lower)
                          .value;
    for (const char* key : {"thresholds.folder", "thresholds.quarantine",
                            "thresholds.reject", "thresholds.discard"})
        required = std::min(
            required,
            Hierarchy::number(layers, key, off, levels::Stricter::lower).value);
    bool is_spam = action != verdict::Action::pass;
    std::string tag = configured_subject_tag(config_);
    if (is_spam && !tag.empty())
        record.message = mail::tag_subject(record.message, tag);
    record.message =
        add_spam_fields(record.message, spam_headers(shown, required, is_spam));
}

ExitCode run(const Options& options, const config::Config& config) {
    auto engine = Engine::open(options, config);
    if (!engine) {
        log::error(engine.error().text());
        return engine.error().exit_code;
    }
    return filter::run(options.common, tool_name, [&](stream::Record& record) {
        return (*engine)->handle(record);
    });
}

} // namespace portcullis::spam_score
