// report's alerts and trends: thresholds parsed strictly, checked on
// the figures as the summary counts them, and periods of arrival in UTC.
#include "report_watch.hpp"

#include <catch2/catch.hpp>

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
          "action, TOOL:ACTION or reason:ID");
    CHECK(why("quarantine=5") ==
          "\"quarantine=5\": no comparison: use >, >=, < or <=");
    CHECK(why("quarantine>") ==
          "\"quarantine>\": the threshold is no number of 0 or more");
    CHECK(why("quarantine>150%") ==
          "\"quarantine>150%\": the percentage is no number from 0 to 100");
    CHECK(why("quarantine>-1") ==
          "\"quarantine>-1\": the threshold is no number of 0 or more");
    CHECK(why("quarantine>nan") ==
          "\"quarantine>nan\": the threshold is no number of 0 or more");
    CHECK(why(">5") == "\">5\": no figure before the comparison: write "
                       "FIGURE>NUMBER, e.g. quarantine>5%");
    CHECK(why("messages>5%") == "\"messages>5%\": messages as a percentage "
                                "of messages is always 100%");
    CHECK(why("av-scan:sometimes>1") ==
          "\"av-scan:sometimes>1\": the figure is none of messages, "
          "input_errors, an action, TOOL:ACTION or reason:ID");
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
