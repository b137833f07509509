// report's alerts and trends: thresholds parsed strictly, checked on
// the figures as the summary counts them, and periods of arrival in UTC.
#include "report_watch.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace portcullis;
using namespace portcullis::report;

TEST_CASE("alert thresholds are parsed or refused with the reason") {
    auto alert = parse_alert(" quarantine > 5% ");
    REQUIRE(alert.ok());
    CHECK(alert->text == "quarantine > 5%");
    CHECK(alert->figure == "quarantine");
    CHECK(alert->op == Alert::Op::above);
    CHECK(alert->number == 5.0);
    CHECK(alert->percent);
    auto tool = parse_alert("av-scan:quarantine>=1");
    REQUIRE(tool.ok());
    CHECK(tool->figure == "av-scan:quarantine");
    CHECK(tool->op == Alert::Op::at_least);
    CHECK(!tool->percent);
    CHECK(parse_alert("reason:AV_INFECTED>0").ok());
    CHECK(parse_alert("input_errors>0").ok());
    CHECK(parse_alert("messages<100").ok());
    CHECK(parse_alert("pass<=90%").ok());

    auto why = [](std::string_view text) {
        auto parsed = parse_alert(text);
        REQUIRE(!parsed.ok());
        CHECK(parsed.error().exit_code == ExitCode::usage);
        return parsed.error().message;
    };
    CHECK(why("spam>5") ==
          "\"spam>5\": the figure is none of messages, input_errors, an "
          "action, unjudged, TOOL:ACTION or reason:ID");
    CHECK(why("quarantine=5") ==
          "\"quarantine=5\": no comparison: use >, >=, < or <=");
    CHECK(why("quarantine>") == "\"quarantine>\": the threshold is no whole "
                                "number of 0 or more in decimal digits");
    CHECK(why("quarantine>150%") == "\"quarantine>150%\": the percentage is "
                                    "no decimal number from 0 to 100");
    CHECK(why("quarantine>-1") ==
          "\"quarantine>-1\": the threshold is no "
          "whole number of 0 or more in decimal digits");
    CHECK(why("quarantine>nan") == "\"quarantine>nan\": the threshold is no "
                                   "whole number of 0 or more in decimal "
                                   "digits");
    CHECK(why(">5") == "\">5\": no figure before the comparison: write "
                       "FIGURE>NUMBER, e.g. quarantine>5%");
    CHECK(why("messages>5%") == "\"messages>5%\": messages as a percentage "
                                "of messages is always 100%");
    CHECK(why("av-scan:sometimes>1") ==
          "\"av-scan:sometimes>1\": the figure is none of messages, "
          "input_errors, an action, unjudged, TOOL:ACTION or reason:ID");
}

TEST_CASE("unjudged is a figure an alert may be set on") {
    auto alert = parse_alert("unjudged>0");
    REQUIRE(alert.ok());
    CHECK(alert->figure == "unjudged");
    Figures figures;
    figures.messages = 4;
    figures.outcomes = {{"pass", 3}, {"unjudged", 1}};
    auto fired = check_alerts({*alert, *parse_alert("unjudged>=50%")}, figures);
    REQUIRE(fired.size() == 1);
    CHECK(fired[0].text == "unjudged>0");
    CHECK(fired[0].count == 1);
    CHECK(fired[0].percent == 25.0);
    // No tool gives "unjudged": it is the lack of a verdict.
    CHECK(!parse_alert("spam-score:unjudged>0").ok());
}

TEST_CASE("an alert on a tool no program is named is refused with the "
          "known names") {
    auto typo = parse_alert("spam_score:reject>0");
    REQUIRE(!typo.ok());
    CHECK(typo.error().exit_code == ExitCode::usage);
    CHECK(typo.error().text() ==
          "--alert: \"spam_score:reject>0\": the tool before ':' is none of "
          "smtp-guard, mime-split, av-scan, spam-score, policy-check, "
          "wiretap, archive-put");
    for (const char* tool :
         {"smtp-guard", "mime-split", "av-scan", "spam-score", "policy-check",
          "wiretap", "archive-put"})
        CHECK(parse_alert(std::string(tool) + ":tag>=1").ok());
    CHECK(!parse_alert("Spam-Score:reject>0").ok());
    CHECK(!parse_alert("report:pass>0").ok());
}

TEST_CASE("thresholds are decimal: whole counts, shares with a fraction") {
    auto message = [](std::string_view text) {
        auto parsed = parse_alert(text);
        return parsed.ok() ? std::string("ok") : parsed.error().message;
    };
    const std::string whole =
        "the threshold is no whole number of 0 or more in decimal digits";
    for (const char* text :
         {"reject>0x10", "reject>1e3", "reject>1.5", "reject>+5", "reject>inf",
          "reject>5 5", "reject>٣"})
        CHECK(message(text) == fmt::format("\"{}\": {}", text, whole));
    const std::string share = "the percentage is no decimal number from 0 to "
                              "100";
    for (const char* text : {"reject>0x10%", "reject>1e1%", "reject>.5%",
                             "reject>5.%", "reject>-0%", "reject>100.01%"})
        CHECK(message(text) == fmt::format("\"{}\": {}", text, share));
    CHECK(message("reject>18446744073709551616") ==
          "\"reject>18446744073709551616\": the threshold is too large: at "
          "most 18446744073709551615");

    auto big = parse_alert("reject>=18446744073709551615");
    REQUIRE(big.ok());
    CHECK(big->count == UINT64_MAX);
    auto padded = parse_alert("reject>007");
    REQUIRE(padded.ok());
    CHECK(padded->count == 7);
    auto fraction = parse_alert("reject>0.5%");
    REQUIRE(fraction.ok());
    CHECK(fraction->number == 0.5);
    CHECK(parse_alert("reject<=100%").ok());

    // Counts compare exactly: one past 2^53 is not rounded to it.
    Figures figures;
    figures.messages = (uint64_t{1} << 53) + 1;
    auto fired =
        check_alerts({*parse_alert("messages>9007199254740992")}, figures);
    CHECK(fired.size() == 1);
}

TEST_CASE("alerts fire on counts and on shares of the messages") {
    Figures figures;
    figures.messages = 200;
    figures.input_errors = 0;
    figures.outcomes = {{"pass", 180}, {"quarantine", 12}, {"reject", 8}};
    figures.actions["av-scan"] = {{"pass", 198}, {"quarantine", 2}};
    figures.reasons = {{"AV_INFECTED", 2}};
    std::vector<Alert> alerts;
    for (const char* text :
         {"quarantine>5%", "quarantine>6%", "av-scan:quarantine>=2",
          "reason:AV_INFECTED>0", "reason:NOPE>0", "input_errors>0",
          "messages<500", "tempfail>=1", "pass<=90%"})
        alerts.push_back(*parse_alert(text));
    auto fired = check_alerts(alerts, figures);
    REQUIRE(fired.size() == 5);
    CHECK(fired[0].text == "quarantine>5%");
    CHECK(fired[0].count == 12);
    CHECK(fired[0].percent == 6.0);
    CHECK(fired[1].text == "av-scan:quarantine>=2");
    CHECK(fired[2].text == "reason:AV_INFECTED>0");
    CHECK(fired[3].text == "messages<500");
    CHECK(fired[3].count == 200);
    CHECK(fired[4].text == "pass<=90%");

    // A share of no messages says nothing; counts still do.
    Figures none;
    auto quiet = check_alerts(
        {*parse_alert("pass<50%"), *parse_alert("messages<1")}, none);
    REQUIRE(quiet.size() == 1);
    CHECK(quiet[0].text == "messages<1");
}

TEST_CASE("arrival times fall in UTC days and hours") {
    CHECK(period_of("2026-12-05T01:30:00+02:00", Period::day) == "2026-12-04");
    CHECK(period_of("2026-12-05T01:30:00Z", Period::hour) == "2026-12-05T01");
    CHECK(!period_of("yesterday", Period::day));
    CHECK(!period_of("2026-12-05T01:30:00Z", Period::none));
    CHECK(period_of("2026-12-05t01:30:00z", Period::hour) == "2026-12-05T01");
    CHECK(period_of("2016-12-31T23:59:60Z", Period::day) == "2016-12-31");
    CHECK(period_of("0000-01-01T00:00:00Z", Period::hour) == "0000-01-01T00");
    CHECK(period_of("9999-12-31T23:59:59Z", Period::hour) == "9999-12-31T23");
    // An offset that moves a time out of the years 0000 to 9999 leaves it
    // with no UTC period that RFC 3339 can write: undated.
    CHECK(!period_of("0000-01-01T00:00:00+01:00", Period::hour));
    CHECK(!period_of("0000-01-01T00:59:59+01:00", Period::day));
    CHECK(period_of("0000-01-01T01:00:00+01:00", Period::hour) ==
          "0000-01-01T00");
    CHECK(!period_of("9999-12-31T23:30:00-01:00", Period::day));
    CHECK(period_of("9999-12-31T23:30:00+01:00", Period::hour) ==
          "9999-12-31T22");
    // ISO 8601 forms that RFC 3339 does not have are undated.
    for (const char* text :
         {"2026-W49-6T01:30:00Z", "2026-339T01:30:00Z", "20261205T013000Z",
          "2026-12-05T01:30:00", "2026-12-05T01:30:00+24:00"})
        CHECK(!period_of(text, Period::day));

    Trends trends;
    trends.add("2026-12-05", "pass");
    trends.add("2026-12-04", "quarantine");
    trends.add("", "pass");
    trends.add("2026-12-05", "reject");
    CHECK(trends.to_json().dump() ==
          R"({"2026-12-04":{"messages":1,"quarantine":1},)"
          R"("2026-12-05":{"messages":2,"pass":1,"reject":1},)"
          R"("undated":{"messages":1,"pass":1}})");
    CHECK(trends.to_text() ==
          "period          messages        pass  quarantine      reject\n"
          "2026-12-04             1           0           1           0\n"
          "2026-12-05             2           1           0           1\n"
          "undated                1           1           0           0\n");
}
