// Learning, forgetting and reports. A message is known by what its
// sender wrote (spam_score_identity.hpp), so learning it twice counts
// once, learning it as the other class moves it, and forgetting takes
// out what learning put in, whichever copy of it is given.
#include "spam_score.hpp"

#include "core/log.hpp"
#include "core/source.hpp"
#include "core/sqlite_store.hpp"
#include "core/strings.hpp"
#include "spam_score_analysis.hpp"
#include "spam_score_identity.hpp"
#include "spam_score_ngram.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace portcullis::spam_score {

namespace {

// Messages learned per transaction: one commit per message would make
// training on an archive wait on the disk thousands of times.
constexpr int batch_messages = 200;

struct Learned {
    std::string digest;
    std::vector<uint64_t> tokens;
    std::vector<uint64_t> signature;
    std::string features; ///< the n-gram model's, encoded
};

// The tag spam-score put on the subject is no part of what the sender
// wrote, and scoring never sees it, as tagging follows scoring: a copy
// learned from a mailbox must teach the words the gateway will score.
Result<Learned> prepare(const Options& options, std::string_view tag,
                        std::string_view message) {
    auto analysis = analyse(message, options.common.limits,
                            options.max_body_bytes, options.max_links);
    if (!analysis)
        return analysis.error();
    analysis->text.subject = without_subject_tag(analysis->text.subject, tag);
    Learned out;
    out.tokens = token_hashes(analysis->tree, analysis->decoded_headers,
                              analysis->text, analysis->uris);
    out.digest = message_identity(*analysis, tag);
    out.signature = fuzzy_signature(analysis->text);
    out.features = encode_features(message_ngrams(*analysis, message, tag));
    return out;
}

// The stored signatures, read when a ham message first needs them in a
// batch: inside the batch's transaction no other learner can change
// them, and a batch of spam alone never reads them.
class Signatures {
public:
    explicit Signatures(state::Store& store) : store_(store) {}

    /// Drops what was read; called as each batch starts.
    void reset() { index_.reset(); }

    Status add(const state::Signature& signature) {
        if (Status s = store_.add_signature(signature); !s)
            return s;
        if (index_)
            index_->add(signature);
        return {};
    }

    Status remove(const std::string& digest) {
        if (Status s = store_.remove_signature(digest); !s)
            return s;
        if (index_)
            index_->remove(digest);
        return {};
    }

    // A false positive must stop matching: its own signature goes, and
    // so does every other it matches strongly (one learned from the
    // gateway's copy, or from a copy a user reported as spam). Returns
    // how many were removed.
    Result<size_t> remove_matching(const Learned& m) {
        if (!index_) {
            auto stored = store_.signatures();
            if (!stored)
                return stored.error();
            index_.emplace(std::move(*stored));
        }
        std::set<std::string> gone;
        for (const FuzzyMatch& match :
             index_->all(m.signature, fuzzy_strongly_similar))
            gone.insert(match.digest);
        if (index_->contains(m.digest))
            gone.insert(m.digest);
        for (const std::string& digest : gone)
            if (Status s = remove(digest); !s)
                return s.error();
        return gone.size();
    }

private:
    state::Store& store_;
    std::optional<FuzzyIndex> index_;
};

// What was done to one message, and as which class: the class it was
// learned as for --forget, none when there was nothing to forget.
struct Applied {
    std::string done; ///< "learned", "moved", "forgotten" or "unchanged"
    std::optional<bool> spam;
    size_t signatures_removed = 0; ///< by learning it as ham
};

// XXX: moving or forgetting a message takes out the tokens of the copy
// given, not those learned: when its delivery added fields the tokens
// read (Return-Path, an outside Received hop, another transfer encoding
// or charset label), those few tokens are one count off. Keeping every
// learned message's tokens would make that exact, at some kilobytes per
// message learned.
Result<Applied> apply(state::Store& store, Signatures& signatures,
                      const LearnOptions& learn, const Learned& m) {
    auto before = store.learned_as(m.digest);
    if (!before)
        return before.error();
    Applied out{"unchanged", learn.forget ? *before : learn.spam};
    std::string& done = out.done;
    if (*before && (learn.forget || **before != learn.spam)) {
        if (Status s = store.unlearn(m.digest, **before, m.tokens); !s)
            return s.error();
        done = "forgotten";
    }
    if (!learn.forget && (!*before || **before != learn.spam)) {
        if (Status s = store.learn(m.digest, learn.spam, m.tokens); !s)
            return s.error();
        done = *before ? "moved" : "learned";
    }
    // The n-gram model is fitted on every learned message's features,
    // those of the first copy learned; a message learned before features
    // were kept gets them.
    Status example = learn.forget
                         ? store.remove_example(m.digest)
                         : store.keep_example(m.digest, learn.spam, m.features);
    if (!example)
        return example.error();
    if (learn.spam && !learn.forget && !m.signature.empty()) {
        if (Status s = signatures.add({m.digest, m.signature}); !s)
            return s.error();
        return out;
    }
    // Forgotten, or spam whose text is too short for a signature: what
    // learning it stored goes, and nothing else.
    if (learn.forget || learn.spam) {
        if (Status s = signatures.remove(m.digest); !s)
            return s.error();
        return out;
    }
    auto removed = signatures.remove_matching(m);
    if (!removed)
        return removed.error();
    out.signatures_removed = *removed;
    return out;
}

// Counts learned in another token format describe other tokens: adding
// to them would mix two vocabularies, and a message learned in both
// would count twice. Only a store that holds nothing yet is stamped.
// Check and stamp are one transaction, so a learner started at the same
// time cannot learn in between and make this one see counts without a
// format; every learner stamps before it learns.
Status check_token_format(state::Store& store, const std::string& path) {
    return store.transaction([&]() -> Status {
        if (Status s = token_format_problem(store, path); !s)
            return s;
        auto totals = store.totals();
        if (!totals)
            return totals.error();
        if (totals->token_format == token_format)
            return {};
        return store.set_token_format(token_format);
    });
}

Status make_state_dir(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0750) == 0)
        return {};
    // A folder that cannot be made where it is named (a missing parent,
    // a file on the way, no right to write) is broken setup, as a file
    // in its place is; a failing disk is an I/O error.
    if (errno == ENOENT || errno == ENOTDIR || errno == EACCES ||
        errno == EROFS || errno == ELOOP || errno == ENAMETOOLONG)
        return Error{dir, std::strerror(errno), ExitCode::unavailable};
    if (errno != EEXIST)
        return Error{dir, std::strerror(errno), ExitCode::io_error};
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
        return Error{dir, "the state folder is not a folder",
                     ExitCode::unavailable};
    return {};
}

// A report names who made it; one run without --reporter is made by
// the user who ran it, as the real uid says (sudo leaves it root). A
// uid with no name in the password database is written as a number,
// as ls does.
std::string invoking_user() {
    uid_t uid = ::getuid();
    const struct passwd* entry = ::getpwuid(uid);
    if (entry && entry->pw_name && *entry->pw_name)
        return entry->pw_name;
    return std::to_string(uid);
}

nlohmann::ordered_json log_fields(const Applied& done, const Learned& learned,
                                  const LearnOptions& learn,
                                  const std::string& reporter) {
    nlohmann::ordered_json fields;
    if (done.spam)
        fields["class"] = *done.spam ? "spam" : "ham";
    fields["result"] = done.done;
    fields["digest"] = learned.digest.substr(0, 16);
    if (done.signatures_removed > 0)
        fields["signatures_removed"] = done.signatures_removed;
    if (learn.report)
        fields["reporter"] = reporter;
    return fields;
}

// Learning grows the store by some hundred tokens a message, most of
// them never seen again: unpruned, a year of a site's reports outgrows
// what a scorer holds in memory. Pruning runs as learning ends, and
// only does work once a limit is passed.
Result<state::Pruned> prune_store(state::Store& store,
                                  const state::PruneLimits& limits,
                                  const std::string& path) {
    std::optional<state::Pruned> pruned;
    Status s = store.transaction([&]() -> Status {
        auto done = store.prune(limits);
        if (!done)
            return done.error();
        pruned = *done;
        return {};
    });
    if (!s)
        return s.error();
    if (pruned->tokens == 0 && pruned->signatures == 0 && pruned->examples == 0)
        return *pruned;
    nlohmann::ordered_json fields;
    fields["tokens_removed"] = pruned->tokens;
    fields["tokens_left"] = pruned->tokens_left;
    fields["signatures_removed"] = pruned->signatures;
    fields["signatures_left"] = pruned->signatures_left;
    fields["examples_removed"] = pruned->examples;
    fields["examples_left"] = pruned->examples_left;
    log::event(path, "prune", fields);
    return *pruned;
}

// Held while fitting, so that learners ending at once fit one after
// another: the first fits, and those after it mostly find the model
// fitted on what they learned (a burst of 40 learners each fitting a
// second of CPU starved the ones holding the database's lock). Best
// effort: without a lock file, or after 30 seconds of waiting for it,
// fitting goes on unserialised.
class FitLock {
public:
    explicit FitLock(const std::string& path)
        : fd_(::open((path + "-fit.lock").c_str(),
                     O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) {
        // A learner stopped while fitting, or another process holding
        // the file, must not stall learning: past the wait, the fit
        // runs unserialised, which costs CPU and nothing else.
        constexpr int wait_ms = 30'000, pause_ms = 50;
        struct stat st {};
        if (fd_ < 0 || ::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
            log::warning(fmt::format(
                "{}-fit.lock: {}; fitting without it", path,
                fd_ < 0 ? std::strerror(errno) : "not a regular file"));
            if (fd_ >= 0)
                ::close(fd_);
            fd_ = -1;
            return;
        }
        for (int waited = 0; fd_ >= 0; waited += pause_ms) {
            if (::flock(fd_, LOCK_EX | LOCK_NB) == 0)
                return;
            if (errno != EWOULDBLOCK && errno != EINTR)
                return;
            if (waited >= wait_ms) {
                log::warning(fmt::format(
                    "{}-fit.lock: held by another process for {} seconds; "
                    "fitting without it",
                    path, wait_ms / 1000));
                return;
            }
            ::usleep(pause_ms * 1000);
        }
    }
    ~FitLock() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    FitLock(const FitLock&) = delete;
    FitLock& operator=(const FitLock&) = delete;

private:
    int fd_;
};

// Digests of examples whose features are damaged.
std::vector<std::string> damaged(const std::vector<state::Example>& examples) {
    std::vector<std::string> out;
    for (const state::Example& e : examples)
        if (!decode_features(e.features))
            out.push_back(e.digest);
    return out;
}

// Fits the n-gram model on every stored example, unless the stored
// model was fitted on these very examples and can be read. The
// examples are read and fitted without the write lock (a fit of 10,000
// messages takes a second or two, and learners started at once would
// queue behind it past the busy timeout); the model is stored only if
// the examples are still those it was fitted on. If another learner
// changed them meanwhile, that learner fits them itself as it ends.
Status fit_ngram_model(state::Store& store, const std::string& path) {
    FitLock lock(path);
    constexpr int attempts = 5;
    for (int attempt = 0; attempt < attempts; ++attempt) {
        auto generation = store.examples_generation();
        if (!generation)
            return generation.error();
        auto fitted_at = store.model_generation(ngram_model_name);
        if (!fitted_at)
            return fitted_at.error();
        if (*fitted_at == *generation) {
            // Fitted on these examples; refitted only if it cannot be read.
            auto stored = store.model(ngram_model_name);
            if (!stored)
                return stored.error();
            if (!*stored || NgramModel::read(**stored))
                return {};
        }
        auto examples = store.examples();
        if (!examples)
            return examples.error();
        auto after = store.examples_generation();
        if (!after)
            return after.error();
        if (*after != *generation)
            continue; // changed while read: read again
        // Damaged rows go, so that learning their messages again brings
        // them back whole.
        if (std::vector<std::string> bad = damaged(*examples); !bad.empty()) {
            Status dropped = store.transaction([&]() -> Status {
                for (const std::string& digest : bad)
                    if (Status s = store.remove_example(digest); !s)
                        return s;
                return {};
            });
            if (!dropped)
                return dropped;
            log::warning(fmt::format(
                "{}: the n-gram features of {} learned messages were "
                "damaged and are dropped (the first: {}); learn them again "
                "to have them back",
                path, bad.size(), bad.front().substr(0, 16)));
            continue;
        }
        auto spam = static_cast<size_t>(
            std::count_if(examples->begin(), examples->end(),
                          [](const state::Example& e) { return e.spam; }));
        size_t ham = examples->size() - spam;
        std::optional<std::string> bytes;
        if (spam >= min_ngram_examples && ham >= min_ngram_examples) {
            size_t skipped = 0;
            bytes = NgramModel::fit(*examples, skipped).bytes();
        } else {
            auto had = store.model(ngram_model_name);
            if (!had)
                return had.error();
            if (*had)
                log::warning(fmt::format(
                    "{}: the n-gram model is off: {} spam and {} ham kept, "
                    "and it needs {} of each",
                    path, spam, ham, min_ngram_examples));
        }
        return store.transaction([&]() -> Status {
            auto now = store.examples_generation();
            if (!now)
                return now.error();
            if (*now != *generation)
                return {};
            return store.set_model(ngram_model_name, bytes, *generation);
        });
    }
    return {};
}

// Far more spam learned than ham makes the everyday words of wanted mail
// spam words, as too few ham held them: with 500 spam of the training
// groups learned, 9.3% of 2,400 other easy ham was tagged beside 100 ham
// learned, 0.17% beside 250 and 0.04% beside 500. Said as learning ends,
// under --quiet too, once Bayes speaks (min_learned of each); a report,
// one user's word, is not the place.
Status warn_if_lopsided(state::Store& store, const std::string& path,
                        const config::Config& config) {
    auto totals = store.totals();
    if (!totals)
        return totals.error();
    uint64_t min_learned =
        config.tool(tool_name)["bayes"]["min_learned"].value_or(
            BayesSettings{}.min_learned);
    if (totals->ham >= min_learned && totals->spam > 2 * totals->ham)
        log::warning(fmt::format(
            "{}: {} spam learned and {} ham: with more than twice as much "
            "spam as ham, Bayes takes the everyday words of wanted mail for "
            "spam words and tags wanted mail; learn more ham",
            path, totals->spam, totals->ham));
    return {};
}

// One line as learning ends, as an administrator asks "did it take?":
// what this run did, and what the state now holds.
Status log_summary(state::Store& store, const std::string& path,
                   const std::map<std::string, size_t>& results) {
    auto totals = store.totals();
    if (!totals)
        return totals.error();
    nlohmann::ordered_json fields;
    for (const char* done : {"learned", "moved", "forgotten", "unchanged"}) {
        auto found = results.find(done);
        fields[done] = found == results.end() ? 0 : found->second;
    }
    fields["spam_total"] = totals->spam;
    fields["ham_total"] = totals->ham;
    // Learning a state made before the n-gram model fits one though no
    // message is new; below ten of a class there is none yet.
    auto model = store.model(ngram_model_name);
    if (!model)
        return model.error();
    fields["ngram_model"] = *model ? "fitted" : "none";
    log::event(path, "summary", fields);
    return {};
}

// A learner checks the configuration as a scorer does: the limits it
// prunes to are read from it.
Result<std::unique_ptr<state::SqliteStore>>
open_for_learning(const Options& options, const config::Config& config,
                  std::string& path) {
    if (Status s = config_problems(config); !s)
        return s.error();
    if (Status s = make_state_dir(options.common.state_dir); !s)
        return s.error();
    path = options.common.state_dir + "/spam-score.sqlite";
    auto store = state::SqliteStore::open(path, false);
    if (!store)
        return store.error();
    if (Status s = check_token_format(**store, path); !s)
        return s.error();
    return store;
}

} // namespace

state::PruneLimits prune_limits(const config::Config& config) {
    const toml::table& table = config.tool(tool_name);
    state::PruneLimits limits{2'000'000, 100'000, 180, 10'000};
    auto read = [&](const char* key, uint64_t& value) {
        value = table["state"][key].value_or(value);
    };
    read("max_tokens", limits.max_tokens);
    read("max_signatures", limits.max_signatures);
    read("signature_days", limits.signature_days);
    read("max_examples", limits.max_examples);
    return limits;
}

ExitCode prune(const Options& options, const config::Config& config) {
    log::set_json(options.common.log_json);
    // Nothing to prune where nothing was learned: a mistyped folder made
    // an empty store, and a cron job said all was well (break test).
    std::string wanted = options.common.state_dir + "/spam-score.sqlite";
    struct stat st {};
    std::string missing = ::stat(wanted.c_str(), &st) != 0
                              ? std::strerror(errno)
                          : st.st_size == 0 ? "empty"
                                            : "";
    if (!missing.empty()) {
        log::error(fmt::format("{}: {}; prune keeps a learned state within "
                               "its limits, and there is none here",
                               wanted, missing));
        return ExitCode::no_input;
    }
    std::string path;
    auto store = open_for_learning(options, config, path);
    if (!store) {
        log::error(store.error().text());
        return store.error().exit_code;
    }
    auto pruned = prune_store(**store, prune_limits(config), path);
    if (!pruned) {
        log::error(pruned.error().text());
        return pruned.error().exit_code;
    }
    if (Status s = fit_ngram_model(**store, path); !s) {
        log::error(s.error().text());
        return s.error().exit_code;
    }
    return ExitCode::ok;
}

ExitCode learn(const Options& options, const config::Config& config,
               const LearnOptions& learn) {
    log::set_json(options.common.log_json);
    std::string tag = configured_subject_tag(config);
    std::string reporter =
        learn.reporter.empty() ? invoking_user() : learn.reporter;
    std::string path;
    auto store = open_for_learning(options, config, path);
    if (!store) {
        log::error(store.error().text());
        return store.error().exit_code;
    }
    source::Inputs inputs(options.common.inputs, options.common.limits,
                          options.common.mbox_variant);
    if (options.common.only_messages)
        inputs.read_only_messages();
    if (options.common.follow_links)
        inputs.follow_links();
    ExitCode status = ExitCode::ok;
    bool more = true;
    // What a batch learned is logged once it is committed: a log line
    // says a message was learned only when the database holds it.
    struct Done {
        std::string id;
        nlohmann::ordered_json fields;
    };
    std::vector<Done> pending;
    size_t kept = 0;
    std::map<std::string, size_t> results; // "learned" -> how many
    Signatures signatures(**store);
    while (more) {
        pending.clear();
        signatures.reset();
        Status batch = (*store)->transaction([&]() -> Status {
            for (int n = 0; n < batch_messages; ++n) {
                auto next = inputs.next();
                if (!next) {
                    log::error(next.error().text());
                    status = next.error().exit_code;
                    if (inputs.fatal()) {
                        more = false;
                        return {};
                    }
                    continue;
                }
                if (!*next) {
                    more = false;
                    return {};
                }
                stream::Record& record = **next;
                auto prepared = prepare(options, tag, record.message);
                if (!prepared) {
                    log::error(fmt::format("{}: {}", record.id(),
                                           prepared.error().text()));
                    status = ExitCode::data_error;
                    continue;
                }
                auto done = apply(**store, signatures, learn, *prepared);
                if (!done)
                    return done.error();
                pending.push_back({record.id(), log_fields(*done, *prepared,
                                                           learn, reporter)});
            }
            return {};
        });
        if (!batch) {
            // What the batches before it learned is kept: the n-gram
            // model is fitted on it if the database lets this learner.
            bool fitted = kept == 0 || fit_ngram_model(**store, path).ok();
            log::error(fmt::format(
                "{}: the batch in progress was rolled back; the {} messages "
                "logged as learned before it are kept{}",
                batch.error().text(), kept,
                fitted ? ""
                       : ", and the n-gram model is fitted on them by "
                         "the next learning"));
            return batch.error().exit_code;
        }
        // A report is a user's word, always logged; a batch learned from
        // cron with --quiet is not a line a message.
        if (learn.report || !options.common.quiet)
            for (const Done& done : pending)
                log::event(done.id, learn.report ? "report" : "learn",
                           done.fields);
        kept += pending.size();
        for (const Done& done : pending)
            ++results[done.fields["result"].get<std::string>()];
    }
    auto pruned = prune_store(**store, prune_limits(config), path);
    if (!pruned) {
        log::error(fmt::format("{}: pruning failed; what was learned is kept",
                               pruned.error().text()));
        return pruned.error().exit_code;
    }
    if (Status s = fit_ngram_model(**store, path); !s) {
        log::error(fmt::format("{}: fitting the n-gram model failed; what "
                               "was learned is kept, and the next learning "
                               "fits it again",
                               s.error().text()));
        return s.error().exit_code;
    }
    // A report is one user's word on a message or two: its own line says
    // it all.
    if (!options.common.quiet && !learn.report)
        if (Status s = log_summary(**store, path, results); !s) {
            log::error(s.error().text());
            return s.error().exit_code;
        }
    if (!learn.report)
        if (Status s = warn_if_lopsided(**store, path, config); !s) {
            log::error(s.error().text());
            return s.error().exit_code;
        }
    return status;
}

ExitCode explain(const Options& options, const config::Config& config,
                 size_t top) {
    log::set_json(options.common.log_json);
    auto engine = Engine::open(options, config);
    if (!engine) {
        log::error(engine.error().text());
        return engine.error().exit_code;
    }
    if (const std::optional<Error>& off = (*engine)->store_problem()) {
        log::error(off->text());
        return ExitCode::unavailable;
    }
    source::Inputs inputs(options.common.inputs, options.common.limits,
                          options.common.mbox_variant);
    if (options.common.only_messages)
        inputs.read_only_messages();
    if (options.common.follow_links)
        inputs.follow_links();
    ExitCode status = ExitCode::ok;
    while (true) {
        auto next = inputs.next();
        if (!next) {
            log::error(next.error().text());
            status = next.error().exit_code;
            if (inputs.fatal())
                return status;
            continue;
        }
        if (!*next)
            return status;
        stream::Record& record = **next;
        auto explained = (*engine)->explain(record.message);
        if (!explained) {
            log::error(fmt::format("{}: {}", terminal_safe(record.id()),
                                   explained.error().text()));
            if (explained.error().exit_code == ExitCode::unavailable)
                return ExitCode::unavailable;
            status = ExitCode::data_error;
            continue;
        }
        const BayesExplanation& e = *explained;
        std::string p = e.probability
                            ? fmt::format("{:.4f}", *e.probability)
                            : std::string("none (too little learned)");
        std::string ngram =
            e.ngram ? fmt::format("; ngram {:.4f}", *e.ngram) : std::string();
        // The strongest of each side: a spam whose strongest words all
        // say spam may still be called 0.5 by hundreds of weaker ham
        // words, which a list of the strongest alone would never show.
        size_t towards_spam = 0;
        for (const TokenEvidence& t : e.tokens)
            towards_spam += t.probability > 0.5 ? 1 : 0;
        std::string text = fmt::format(
            "{}: bayes {}, {} of {} tokens learned, {} counted ({} towards "
            "spam, {} towards ham; from {} spam, {} ham){}\n",
            terminal_safe(record.id()), p, e.learned_count, e.token_count,
            e.tokens.size(), towards_spam, e.tokens.size() - towards_spam,
            e.totals.spam, e.totals.ham, ngram);
        for (bool spam_side : {true, false}) {
            size_t shown = 0;
            for (const TokenEvidence& t : e.tokens) {
                if ((t.probability > 0.5) != spam_side || shown == top)
                    continue;
                ++shown;
                text += fmt::format("  {:.4f} {:>6} spam {:>6} ham  {}\n",
                                    t.probability, t.counts.spam, t.counts.ham,
                                    terminal_safe(t.token));
            }
        }
        // A reader that has seen enough (| head) ends the run quietly.
        if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
            std::fflush(stdout) != 0)
            return errno == EPIPE ? status : ExitCode::io_error;
    }
}

} // namespace portcullis::spam_score
