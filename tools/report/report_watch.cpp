// Alerts and trends: thresholds read strictly, since a rule that reads
// as something else never fires, and arrival times put in UTC periods.
#include "report_watch.hpp"

#include "core/json_parse.hpp"
#include "core/strings.hpp"
#include "mail/envelope.hpp"
#include "mail/verdict.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <fmt/format.h>

namespace portcullis::report {

namespace {

constexpr std::string_view undated = "undated";

bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
           c == '-' || c == ':' || c == '.';
}

Error bad_alert(std::string_view text, std::string_view why) {
    return Error{"--alert", fmt::format("\"{}\": {}", terminal_safe(text), why),
                 ExitCode::usage};
}

// TOOL:ACTION names one of the programs that write verdicts: a typo
// ("spam_score") would count verdicts no tool writes and never fire.
std::optional<std::string> figure_problem(std::string_view figure) {
    const std::string_view none =
        "the figure is none of messages, input_errors, an action, unjudged, "
        "TOOL:ACTION or reason:ID";
    size_t colon = figure.find(':');
    if (colon == std::string_view::npos) {
        if (figure == "messages" || figure == "input_errors" ||
            figure == unjudged || verdict::parse_action(figure))
            return std::nullopt;
        return std::string(none);
    }
    std::string_view left = figure.substr(0, colon);
    std::string_view right = figure.substr(colon + 1);
    if (left == "reason")
        return right.empty() ? std::optional<std::string>(none) : std::nullopt;
    if (!verdict::parse_action(right))
        return std::string(none);
    if (verdict::is_tool_name(left))
        return std::nullopt;
    std::string known;
    for (std::string_view tool : verdict::tool_names)
        known += fmt::format("{}{}", known.empty() ? "" : ", ", tool);
    return fmt::format("the tool before ':' is none of {}", known);
}

// Takes ">=", "<=", ">" or "<" off the front of rest.
std::optional<Alert::Op> take_op(std::string_view& rest) {
    using Op = Alert::Op;
    const std::pair<std::string_view, Op> ops[] = {{">=", Op::at_least},
                                                   {"<=", Op::at_most},
                                                   {">", Op::above},
                                                   {"<", Op::below}};
    for (const auto& [text, op] : ops) {
        if (rest.starts_with(text)) {
            rest.remove_prefix(text.size());
            return op;
        }
    }
    return std::nullopt;
}

bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return c >= '0' && c <= '9';
    });
}

// Thresholds are written in decimal: strtod would also take 0x10, 1e3,
// inf and a locale's decimal comma, none of which an administrator
// means as a count. A count is a whole number; a share may have a
// fraction (0.5%).
Status read_threshold(std::string_view number, Alert& alert) {
    if (!alert.percent) {
        if (!all_digits(number))
            return Error{"", "the threshold is no whole number of 0 or more "
                             "in decimal digits"};
        auto [end, ec] = std::from_chars(
            number.data(), number.data() + number.size(), alert.count);
        if (ec != std::errc() || end != number.data() + number.size())
            return Error{"", fmt::format("the threshold is too large: at "
                                         "most {}",
                                         UINT64_MAX)};
        alert.number = static_cast<double>(alert.count);
        return {};
    }
    size_t dot = number.find('.');
    bool decimal =
        all_digits(number.substr(0, dot)) &&
        (dot == std::string_view::npos || all_digits(number.substr(dot + 1)));
    auto [end, ec] =
        std::from_chars(number.data(), number.data() + number.size(),
                        alert.number, std::chars_format::fixed);
    if (!decimal || ec != std::errc() || end != number.data() + number.size() ||
        alert.number > 100)
        return Error{"", "the percentage is no decimal number from 0 to 100"};
    return {};
}

} // namespace

Result<Alert> parse_alert(std::string_view text) {
    Alert alert;
    alert.text = std::string(trim_space(text));
    std::string_view rest = alert.text;
    size_t end = 0;
    while (end < rest.size() && is_name_char(rest[end]))
        ++end;
    alert.figure = std::string(rest.substr(0, end));
    rest = trim_space(rest.substr(end));
    if (alert.figure.empty())
        return bad_alert(text, "no figure before the comparison: write "
                               "FIGURE>NUMBER, e.g. quarantine>5%");
    if (auto problem = figure_problem(alert.figure))
        return bad_alert(text, *problem);
    auto op = take_op(rest);
    if (!op)
        return bad_alert(text, "no comparison: use >, >=, < or <=");
    alert.op = *op;
    rest = trim_space(rest);
    if (rest.ends_with("%")) {
        alert.percent = true;
        rest = trim_space(rest.substr(0, rest.size() - 1));
    }
    if (Status s = read_threshold(rest, alert); !s)
        return bad_alert(text, s.error().message);
    if (alert.percent && (alert.figure == "messages"))
        return bad_alert(text, "messages as a percentage of messages is "
                               "always 100%");
    return alert;
}

namespace {

template <class Number> bool passes(Alert::Op op, Number value, Number limit) {
    switch (op) {
    case Alert::Op::above:
        return value > limit;
    case Alert::Op::at_least:
        return value >= limit;
    case Alert::Op::below:
        return value < limit;
    case Alert::Op::at_most:
        return value <= limit;
    }
    return false;
}

} // namespace

std::vector<FiredAlert> check_alerts(const std::vector<Alert>& alerts,
                                     const Figures& figures) {
    auto count_of = [&](const std::string& figure) -> uint64_t {
        auto find = [](const auto& map, const std::string& key) -> uint64_t {
            auto it = map.find(key);
            return it == map.end() ? 0 : it->second;
        };
        if (figure == "messages")
            return figures.messages;
        if (figure == "input_errors")
            return figures.input_errors;
        size_t colon = figure.find(':');
        if (colon == std::string::npos)
            return find(figures.outcomes, figure);
        std::string left = figure.substr(0, colon);
        std::string right = figure.substr(colon + 1);
        if (left == "reason")
            return find(figures.reasons, right);
        auto tool = figures.actions.find(left);
        return tool == figures.actions.end() ? 0 : find(tool->second, right);
    };
    std::vector<FiredAlert> fired;
    for (const Alert& alert : alerts) {
        uint64_t count = count_of(alert.figure);
        double percent = figures.messages == 0
                             ? 0.0
                             : 100.0 * static_cast<double>(count) /
                                   static_cast<double>(figures.messages);
        // A percentage of no messages says nothing: it never fires.
        if (alert.percent && figures.messages == 0)
            continue;
        // Counts are compared as whole numbers, exactly at any size.
        bool passed = alert.percent ? passes(alert.op, percent, alert.number)
                                    : passes(alert.op, count, alert.count);
        if (passed)
            fired.push_back({alert.text, alert.figure, count, percent});
    }
    return fired;
}

std::optional<std::string> period_of(std::string_view time, Period period) {
    if (period == Period::none)
        return std::nullopt;
    auto seconds = mail::parse_rfc3339(std::string(time));
    if (!seconds)
        return std::nullopt;
    // Every RFC 3339 year, 0000 to 9999, has a period: GLib's calendar
    // began at year 1. An offset can move a time out of them
    // (0000-01-01T00:00:00+01:00 is in year -1 in UTC), and a period
    // such as "-001-12-31" sorts and reads as no date: such a time
    // counts as undated, like any other that names no UTC period.
    namespace chrono = std::chrono;
    chrono::sys_seconds when{chrono::seconds(*seconds)};
    auto day = chrono::floor<chrono::days>(when);
    chrono::year_month_day date{day};
    if (date.year() < chrono::year(0) || date.year() > chrono::year(9999))
        return std::nullopt;
    std::string out = fmt::format("{:04}-{:02}-{:02}", int(date.year()),
                                  unsigned(date.month()), unsigned(date.day()));
    if (period == Period::hour)
        out += fmt::format("T{:02}",
                           chrono::floor<chrono::hours>(when - day).count());
    return out;
}

void Trends::add(const std::string& period, const std::string& outcome) {
    auto& row = periods_[period.empty() ? std::string(undated) : period];
    row["messages"]++;
    row[outcome]++;
    totals_[outcome]++;
}

nlohmann::ordered_json Trends::to_json() const {
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    auto put = [&](const std::string& period) {
        auto it = periods_.find(period);
        if (it == periods_.end())
            return;
        nlohmann::ordered_json row = nlohmann::ordered_json::object();
        row["messages"] = it->second.at("messages");
        for (const auto& [action, count] : it->second)
            if (action != "messages")
                row[action] = count;
        append_new_key(out, period, std::move(row));
    };
    for (const auto& [period, row] : periods_)
        if (period != undated)
            put(period);
    put(std::string(undated));
    return out;
}

std::string Trends::to_text() const {
    std::vector<std::string> columns;
    for (const auto& [action, count] : totals_)
        columns.push_back(action);
    std::string out = fmt::format("{:<14}{:>10}", "period", "messages");
    for (const std::string& column : columns)
        out += fmt::format("{:>12}", column);
    out += "\n";
    auto line = [&](const std::string& period) {
        auto it = periods_.find(period);
        if (it == periods_.end())
            return;
        out += fmt::format("{:<14}{:>10}", period, it->second.at("messages"));
        for (const std::string& column : columns) {
            auto count = it->second.find(column);
            out += fmt::format("{:>12}",
                               count == it->second.end() ? 0 : count->second);
        }
        out += "\n";
    };
    for (const auto& [period, row] : periods_)
        if (period != undated)
            line(period);
    line(std::string(undated));
    return out;
}

} // namespace portcullis::report
