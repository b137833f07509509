// The verdict every filter appends to a record's `verdicts`: its tool,
// action, reasons and per-recipient actions (share/doc/verdict.md).
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace portcullis::verdict {

/// What should happen to a message, most severe first.
enum class Action {
    tempfail,
    reject,
    discard,
    quarantine,
    redirect,
    folder,
    tag,
    pass,
};

/// The programs that write verdicts, as their "tool" field names them:
/// those of the design, built or not yet, in the order of the chain.
inline constexpr std::array<std::string_view, 7> tool_names = {
    "smtp-guard",   "mime-split", "av-scan",    "spam-score",
    "policy-check", "wiretap",    "archive-put"};

/// Returns true when name is one of tool_names.
bool is_tool_name(std::string_view name);

/// Returns the action's name as written in verdicts.
std::string_view to_string(Action action);

/// Parses an action name; nullopt when it is not one.
std::optional<Action> parse_action(std::string_view name);

/// Returns the more severe of two actions.
inline Action most_severe(Action a, Action b) {
    return a < b ? a : b;
}

/// One reason a verdict gives: an id, a score and a description.
struct Reason {
    std::string id;
    double score = 0;
    std::string text;
};

/// A verdict under construction; to_json() writes the schema's fields.
class Verdict {
public:
    Verdict(std::string_view tool, std::string_view version);

    /// Raises the action to a more severe one; never lowers it.
    void escalate(Action action) { action_ = most_severe(action_, action); }
    Action action() const { return action_; }

    void set_score(double score) { score_ = score; }
    void add_reason(Reason reason);

    /// Sets one recipient's action where it differs from the message's.
    void set_rcpt_action(std::string_view rcpt, Action action);

    /// Records a side effect that changes no delivery.
    void add_effect(nlohmann::ordered_json effect);

    /// Holds tool-specific fields, written after the common ones.
    nlohmann::ordered_json& extra() { return extra_; }

    /// Returns the verdict object, elapsed time included.
    nlohmann::ordered_json to_json() const;

private:
    nlohmann::ordered_json rcpt_json() const;

    std::string tool_;
    std::string version_;
    Action action_ = Action::pass;
    std::optional<double> score_;
    nlohmann::ordered_json reasons_ = nlohmann::ordered_json::array();
    // Recipients in the order first set, with an index: an ordered_json
    // object looks keys up one by one, too slow for a list of tens of
    // thousands of recipients guessed from a To header.
    std::vector<std::pair<std::string, Action>> rcpt_;
    std::unordered_map<std::string, size_t> rcpt_index_;
    nlohmann::ordered_json effects_ = nlohmann::ordered_json::array();
    nlohmann::ordered_json extra_ = nlohmann::ordered_json::object();
    std::chrono::steady_clock::time_point started_;
};

} // namespace portcullis::verdict
