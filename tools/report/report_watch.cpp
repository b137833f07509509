#include "report_watch.hpp"

#include "core/strings.hpp"
#include "mail/envelope.hpp"
#include "mail/verdict.hpp"

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
    std::string_view figure = alert.figure;
    bool known = figure == "messages" || figure == "input_errors" ||
                 verdict::parse_action(figure).has_value();
    if (size_t colon = figure.find(':'); colon != std::string_view::npos) {
        std::string_view left = figure.substr(0, colon);
        std::string_view right = figure.substr(colon + 1);
        known = !right.empty() &&
                (left == "reason" || verdict::parse_action(right).has_value());
    }
    if (!known)
        return bad_alert(text, "the figure is none of messages, "
                               "input_errors, an action, TOOL:ACTION or "
                               "reason:ID");
    using Op = Alert::Op;
    if (rest.starts_with(">=")) {
        alert.op = Op::at_least;
        rest.remove_prefix(2);
    } else if (rest.starts_with("<=")) {
        alert.op = Op::at_most;
        rest.remove_prefix(2);
    } else if (rest.starts_with(">")) {
        alert.op = Op::above;
        rest.remove_prefix(1);
    } else if (rest.starts_with("<")) {
        alert.op = Op::below;
        rest.remove_prefix(1);
    } else {
        return bad_alert(text, "no comparison: use >, >=, < or <=");
    }
    rest = trim_space(rest);
    if (rest.ends_with("%")) {
        alert.percent = true;
        rest = trim_space(rest.substr(0, rest.size() - 1));
    }
    std::string number(rest);
    char* parsed_end = nullptr;
    alert.number = std::strtod(number.c_str(), &parsed_end);
    if (number.empty() || parsed_end != number.c_str() + number.size() ||
        !std::isfinite(alert.number) || alert.number < 0 ||
        (alert.percent && alert.number > 100))
        return bad_alert(text, alert.percent
                                   ? "the percentage is no number from 0 "
                                     "to 100"
                                   : "the threshold is no number of 0 or "
                                     "more");
    if (alert.percent && (alert.figure == "messages"))
        return bad_alert(text, "messages as a percentage of messages is "
                               "always 100%");
    return alert;
}

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
        double value = alert.percent ? percent : static_cast<double>(count);
        bool passed = false;
        switch (alert.op) {
        case Alert::Op::above:
            passed = value > alert.number;
            break;
        case Alert::Op::at_least:
            passed = value >= alert.number;
            break;
        case Alert::Op::below:
            passed = value < alert.number;
            break;
        case Alert::Op::at_most:
            passed = value <= alert.number;
            break;
        }
        if (passed)
            fired.push_back({alert.text, count, percent});
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
    // began at year 1.
    namespace chrono = std::chrono;
    chrono::sys_seconds when{chrono::seconds(*seconds)};
    auto day = chrono::floor<chrono::days>(when);
    chrono::year_month_day date{day};
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
        out[period] = row;
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
