// Trends and alerts: messages counted per day or hour of arrival, and
// thresholds an administrator sets on the figures, so that a cron job
// mails only when something is wrong.
#pragma once

#include "core/result.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::report {

/// The figures alerts are set on, as the summary counts them.
struct Figures {
    uint64_t messages = 0;
    uint64_t input_errors = 0;
    /// Messages by the most severe action any tool gave them.
    std::map<std::string, uint64_t> outcomes;
    /// Verdicts by tool, then action.
    std::map<std::string, std::map<std::string, uint64_t>> actions;
    /// Messages by reason id, whichever tool gave it.
    std::map<std::string, uint64_t> reasons;
};

/// The outcome of a message no tool judged yet.
inline constexpr std::string_view unjudged = "unjudged";

/// A threshold: FIGURE OP NUMBER, the number a count or a percentage of
/// the messages. FIGURE is "messages", "input_errors", an action or
/// "unjudged" (the messages whose outcome it is), TOOL:ACTION (that
/// tool's verdicts) or reason:ID (the messages any tool gave that reason).
struct Alert {
    enum class Op { above, at_least, below, at_most };
    std::string text; ///< as written
    std::string figure;
    Op op = Op::above;
    double number = 0;  ///< the threshold, a count or a percentage
    uint64_t count = 0; ///< the threshold when it is a count, exactly
    bool percent = false;
};

/// Parses "quarantine > 5%", "av-scan:quarantine>=1", "input_errors>0",
/// "messages<100", "reason:AV_INFECTED>0", "unjudged>0"; an Error says
/// what is wrong. Numbers are decimal: a count whole, a share 0 to 100.
Result<Alert> parse_alert(std::string_view text);

/// An alert whose threshold was passed, with the figure that passed it.
struct FiredAlert {
    std::string text;
    std::string figure; ///< as Alert::figure
    uint64_t count = 0;
    double percent = 0; ///< of the messages
};

/// Returns the alerts whose threshold the figures pass, in the order
/// given.
std::vector<FiredAlert> check_alerts(const std::vector<Alert>& alerts,
                                     const Figures& figures);

/// How messages are grouped over time.
enum class Period { none, day, hour };

/// Returns the UTC period an RFC 3339 time falls in ("2026-12-05" by
/// day, "2026-12-05T14" by hour); nullopt when the text is no such time.
std::optional<std::string> period_of(std::string_view time, Period period);

/// Messages per period of arrival, by their most severe action.
class Trends {
public:
    /// Counts a message; period is empty for one with no arrival time.
    void add(const std::string& period, const std::string& outcome);

    bool empty() const { return periods_.empty(); }

    /// Returns {"PERIOD": {"messages": N, "ACTION": N, ...}, ...}, in
    /// time order, messages with no arrival time last as "undated".
    nlohmann::ordered_json to_json() const;

    /// Returns a table: one line per period, a column per action seen.
    std::string to_text() const;

private:
    std::map<std::string, std::map<std::string, uint64_t>> periods_;
    std::map<std::string, uint64_t> totals_;
};

} // namespace portcullis::report
