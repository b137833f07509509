// Verdict objects, written in the field order of share/doc/verdict.md.
#include "mail/verdict.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace portcullis::verdict {

namespace {

constexpr std::array<std::string_view, 8> action_names = {
    "tempfail", "reject", "discard", "quarantine",
    "redirect", "folder", "tag",     "pass",
};

// Scores are written to three decimals, as rule scores are given and as
// spam-score compares them with thresholds: a score shown rounded to two
// (16.327 as 16.33) could contradict the action beside it.
double round_score(double score) {
    return std::round(score * 1000) / 1000;
}

} // namespace

bool is_tool_name(std::string_view name) {
    return std::find(tool_names.begin(), tool_names.end(), name) !=
           tool_names.end();
}

std::string_view to_string(Action action) {
    return action_names[static_cast<size_t>(action)];
}

std::optional<Action> parse_action(std::string_view name) {
    for (size_t i = 0; i < action_names.size(); ++i) {
        if (action_names[i] == name)
            return static_cast<Action>(i);
    }
    return std::nullopt;
}

Verdict::Verdict(std::string_view tool, std::string_view version)
    : tool_(tool), version_(version),
      started_(std::chrono::steady_clock::now()) {}

void Verdict::add_reason(Reason reason) {
    nlohmann::ordered_json entry;
    entry["id"] = reason.id;
    entry["score"] = round_score(reason.score);
    entry["text"] = reason.text;
    reasons_.push_back(std::move(entry));
}

void Verdict::set_rcpt_action(std::string_view rcpt, Action action) {
    auto [it, added] = rcpt_index_.try_emplace(std::string(rcpt), rcpt_.size());
    if (added)
        rcpt_.emplace_back(it->first, action);
    else
        rcpt_[it->second].second = action;
}

void Verdict::add_effect(nlohmann::ordered_json effect) {
    effects_.push_back(std::move(effect));
}

nlohmann::ordered_json Verdict::rcpt_json() const {
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    // The keys are unique already: appending skips the object's own
    // look-up of each one, which would make this quadratic.
    auto& object = out.get_ref<nlohmann::ordered_json::object_t&>();
    object.reserve(rcpt_.size());
    for (const auto& [rcpt, action] : rcpt_)
        object.emplace_back(
            rcpt, nlohmann::ordered_json{{"action", to_string(action)}});
    return out;
}

nlohmann::ordered_json Verdict::to_json() const {
    nlohmann::ordered_json out;
    out["tool"] = tool_;
    out["version"] = version_;
    out["action"] = to_string(action_);
    if (score_)
        out["score"] = round_score(*score_);
    out["reasons"] = reasons_;
    if (!rcpt_.empty())
        out["rcpt"] = rcpt_json();
    if (!effects_.empty())
        out["effects"] = effects_;
    for (const auto& [key, value] : extra_.items())
        out[key] = value;
    auto elapsed = std::chrono::steady_clock::now() - started_;
    out["elapsed_us"] =
        std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
    return out;
}

} // namespace portcullis::verdict
