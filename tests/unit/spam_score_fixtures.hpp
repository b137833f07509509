// Shared by spam-score's unit tests: the test messages, the default
// rules, a temporary state folder and an engine opened on them.
#pragma once

#include "core/sqlite_store.hpp"
#include "core/token_table.hpp"
#include "spam_score.hpp"
#include "spam_score_analysis.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace portcullis::spam_score::testing {

inline const std::string cases =
    std::string(PORTCULLIS_TEST_DIR) + "/spam-score/";
inline const std::string default_rules =
    std::string(PORTCULLIS_TEST_DIR) + "/../share/rules";

inline std::string read_case(const std::string& name) {
    std::ifstream in(cases + name, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

/// A fresh folder, removed at scope end.
using portcullis::testing::TempDir;

inline std::unique_ptr<Engine> open_engine(const Options& options,
                                           const config::Config& config) {
    auto engine = Engine::open(options, config);
    REQUIRE(engine.ok());
    return std::move(*engine);
}

inline Options options_with(const std::string& rules,
                            const std::string& state) {
    Options options;
    options.rules_dir = rules;
    options.common.state_dir = state;
    return options;
}

/// The default rules and an empty state folder, opened as an engine.
struct DefaultEngine {
    TempDir state;
    Options options = options_with(default_rules, state.path);
    config::Config config;
    std::unique_ptr<Engine> engine = open_engine(options, config);

    Engine* operator->() { return engine.get(); }
};

/// The rules written under dir/rules alone, without Bayes and fuzzy
/// checks; they must load without a problem.
struct RulesEngine {
    explicit RulesEngine(const TempDir& dir)
        : options(rules_only(dir)), engine(open_engine(options, config)) {
        REQUIRE(engine->rules().problems().empty());
    }

    Options options;
    config::Config config;
    std::unique_ptr<Engine> engine;

    Engine* operator->() { return engine.get(); }

private:
    static Options rules_only(const TempDir& dir) {
        Options out = options_with(dir.path + "/rules", dir.path + "/state");
        out.use_bayes = false;
        out.use_fuzzy = false;
        return out;
    }
};

/// An engine on the test rules, configured by the file named (with its
/// domains/ folder beside it), writing JSON verdicts.
class ConfiguredEngine {
public:
    ConfiguredEngine(const TempDir& dir, const std::string& file)
        : options_(options_with(cases + "rules", dir.path + "/state")) {
        auto loaded = config::load(dir.path + "/" + file, true);
        REQUIRE(loaded.ok());
        config_ = std::move(*loaded);
        options_.common.form = filter::OutputForm::json;
        engine_ = open_engine(options_, config_);
    }
    ConfiguredEngine(const ConfiguredEngine&) = delete;
    ConfiguredEngine& operator=(const ConfiguredEngine&) = delete;

    /// The verdict on message, sent to rcpt (none: no envelope rcpt).
    nlohmann::ordered_json verdict(const std::string& message,
                                   const std::vector<std::string>& rcpt = {}) {
        stream::Record record;
        record.message = message;
        if (!rcpt.empty())
            record.envelope["rcpt"] = rcpt;
        return verdict(record);
    }

    /// The verdict on a record with the envelope given.
    nlohmann::ordered_json verdict(stream::Record& record) {
        auto outcome = engine_->handle(record);
        REQUIRE(outcome.ok());
        return outcome->verdict;
    }

private:
    Options options_; // the engine keeps references to both
    config::Config config_;
    std::unique_ptr<Engine> engine_;
};

/// Rules read from text, as the file "t.cf", and compiled.
inline RuleSet rules_from(const std::string& text) {
    RuleSet rules;
    rules.load_text(text, "t.cf");
    rules.compile();
    return rules;
}

/// The names of the rules that fire on view, sorted.
inline std::vector<std::string> fired_on(const RuleSet& rules,
                                         const MessageView& view) {
    std::vector<std::string> names;
    for (const Hit& hit : rules.match(view, {}))
        names.push_back(hit.name);
    std::sort(names.begin(), names.end());
    return names;
}

/// Each problem as --lint prints it, "file:line: message".
inline std::vector<std::string> problem_lines(const RuleSet& rules) {
    std::vector<std::string> lines;
    for (const Problem& problem : rules.problems())
        lines.push_back(problem.where + ": " + problem.message);
    return lines;
}

/// A body view: the subject, then each paragraph, as make_view writes it.
inline MessageView body_view(const std::vector<std::string>& paragraphs) {
    MessageView view;
    for (const std::string& paragraph : paragraphs)
        view.body += paragraph + "\n";
    return view;
}

inline bool fired(const Score& score, const std::string& name) {
    for (const Hit& hit : score.hits)
        if (hit.name == name)
            return true;
    return false;
}

/// Writes files under dir: each pair is a path below it and its text.
inline void
write_files(const TempDir& dir,
            const std::vector<std::pair<std::string, std::string>>& files) {
    for (const auto& [path, text] : files) {
        std::filesystem::path full = dir.path + "/" + path;
        std::filesystem::create_directories(full.parent_path());
        std::ofstream(full) << text;
    }
}

inline std::vector<std::string>
reason_ids(const nlohmann::ordered_json& verdict) {
    std::vector<std::string> out;
    for (const auto& reason : verdict["reasons"])
        out.push_back(reason["id"]);
    return out;
}

inline bool has_id(const nlohmann::ordered_json& verdict,
                   const std::string& id) {
    auto ids = reason_ids(verdict);
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

} // namespace portcullis::spam_score::testing
