// report's record checks: every field it counts has its type checked,
// and a wrong one is an error naming the field, never an exception.
#include "report_record.hpp"

#include "core/stream.hpp"
#include "mime_split.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace portcullis;
using nlohmann::ordered_json;

namespace {

// Returns the error read_record gives for a JSON line, or "ok".
std::string problem(const std::string& line) {
    auto facts = report::read_record(ordered_json::parse(line));
    return facts ? "ok" : facts.error().message;
}

} // namespace

TEST_CASE("read_record takes what the filters write") {
    auto facts = report::read_record(ordered_json::parse(
        R"({"portcullis":1,"id":"q1","bytes":12,"verdicts":[)"
        R"({"tool":"mime-split","action":"pass","elapsed_us":7,)"
        R"("parts":[{"attachment":true,"filename":"A.PDF",)"
        R"("content_type":"application/pdf"},{"content_type":"text/plain"}],)"
        R"("anomalies":[{"id":"MIME_X"}],"reasons":[{"id":"R1"}]}]})"));
    REQUIRE(facts);
    CHECK(facts->kind == report::RecordKind::message);
    CHECK(facts->id == "q1");
    CHECK(facts->bytes == 12);
    REQUIRE(facts->verdicts.size() == 1);
    const report::VerdictFacts& verdict = facts->verdicts[0];
    CHECK(verdict.tool == "mime-split");
    CHECK(verdict.action == "pass");
    CHECK(verdict.elapsed_us == 7);
    CHECK(verdict.attachment_types ==
          std::vector<std::string>{"application/pdf .pdf"});
    CHECK(verdict.anomaly_ids == std::vector<std::string>{"MIME_X"});
    CHECK(verdict.reason_ids == std::vector<std::string>{"R1"});
}

TEST_CASE("a verdict mime-split writes is one every filter and report "
          "take") {
    auto tree = mime::parse(
        "From: a@example.org\r\nSubject: x\r\n"
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
        "--b\r\nContent-Type: application/pdf\r\n"
        "Content-Disposition: attachment; filename=\"R.PDF\"\r\n\r\n"
        "%PDF\r\n--b\r\n",
        {});
    REQUIRE(tree);
    verdict::Verdict written("mime-split", "0.1.0");
    written.escalate(verdict::Action::quarantine);
    written.add_reason({"MIME_X", 0, "part 2: no close"});
    written.set_rcpt_action("b@example.com", verdict::Action::reject);
    written.add_effect({{"extracted", "/tmp/R.PDF"}});
    ordered_json described = mime_split::describe(*tree);
    for (auto& [key, value] : described.items())
        written.extra()[key] = value;
    ordered_json envelope = {{"portcullis", 1}, {"bytes", 9}};
    envelope["verdicts"] = ordered_json::array({written.to_json()});

    Status checked = stream::check_fields(envelope);
    INFO((checked ? "" : checked.error().message));
    CHECK(checked);
    auto facts = report::read_record(envelope);
    REQUIRE(facts);
    REQUIRE(facts->verdicts.size() == 1);
    CHECK(facts->verdicts[0].attachment_types ==
          std::vector<std::string>{"application/pdf .pdf"});
    CHECK(facts->verdicts[0].anomaly_ids ==
          std::vector<std::string>{"MIME_MISSING_CLOSE_BOUNDARY"});
    CHECK(facts->verdicts[0].rcpt_actions ==
          std::vector<std::string>{"reject"});
}

TEST_CASE("read_record refuses what the filters refuse in a verdict") {
    // Each was taken by the filters and refused by report, or the other
    // way round: one rule decides for both now.
    for (const char* fields :
         {R"("reasons":5)", R"("anomalies":"x")", R"("parts":[1])",
          R"("score":"8.1")", R"("effects":["copied"])"}) {
        auto envelope = ordered_json::parse(
            fmt::format(R"({{"portcullis":1,"verdicts":[{{"tool":"x",)"
                        R"("action":"pass",{}}}]}})",
                        fields));
        Status filters = stream::check_fields(envelope);
        auto report = report::read_record(envelope);
        REQUIRE_FALSE(filters);
        REQUIRE_FALSE(report);
        CHECK(report.error().message == filters.error().message);
    }
    CHECK(problem(R"({"portcullis":1,"verdicts":[{"action":"pass"}]})") ==
          R"("verdicts[0].tool" is missing)");
}

TEST_CASE("read_record names a verdict field of the wrong type") {
    CHECK(problem(R"({"portcullis":1,"verdicts":[{"tool":7}]})") ==
          R"("verdicts[0].tool" is not a string)");
    CHECK(problem(R"({"portcullis":1,"verdicts":[{"action":null}]})") ==
          R"("verdicts[0].action" is not a string)");
    CHECK(problem(R"({"portcullis":1,"verdicts":[{"elapsed_us":"5"}]})") ==
          R"("verdicts[0].elapsed_us" is not a non-negative integer)");
    CHECK(
        problem(R"({"portcullis":1,"verdicts":[{},{"reasons":[{"id":5}]}]})") ==
        R"("verdicts[1].reasons[0].id" is not a string)");
    CHECK(problem(R"({"portcullis":1,"verdicts":[{"reasons":["R1"]}]})") ==
          R"("verdicts[0].reasons[0]" is not an object)");
    CHECK(problem(R"({"portcullis":1,"verdicts":[{"anomalies":{}}]})") ==
          R"("verdicts[0].anomalies" is not a list)");
}

TEST_CASE("read_record refuses a verdict whose action is unknown or absent") {
    CHECK(problem(R"({"portcullis":1,"verdicts":[{"tool":"x",)"
                  R"("action":"Reject"}]})") ==
          R"("verdicts[0].action" is not tempfail, reject, discard, )"
          R"(quarantine, redirect, folder, tag or pass)");
    for (const char* action : {"", " reject", "strip", "copy", "?"})
        CHECK(problem(fmt::format(R"({{"portcullis":1,"verdicts":[)"
                                  R"({{"tool":"x","action":"{}"}}]}})",
                                  action))
                  .ends_with("is not tempfail, reject, discard, quarantine, "
                             "redirect, folder, tag or pass"));
    CHECK(problem(R"({"portcullis":1,"verdicts":[{"tool":"x",)"
                  R"("action":"pass"},{"tool":"y"}]})") ==
          R"("verdicts[1].action" is missing)");
    for (const char* action : {"tempfail", "reject", "discard", "quarantine",
                               "redirect", "folder", "tag", "pass"})
        CHECK(problem(fmt::format(R"({{"portcullis":1,"verdicts":[)"
                                  R"({{"tool":"x","action":"{}"}}]}})",
                                  action)) == "ok");
    // No verdict at all is a record no tool judged yet, not an error.
    CHECK(problem(R"({"portcullis":1,"verdicts":[]})") == "ok");
    CHECK(problem(R"({"portcullis":1})") == "ok");
}

TEST_CASE("read_record names a part field of the wrong type") {
    CHECK(problem(R"({"portcullis":1,"verdicts":[{"parts":[)"
                  R"({"attachment":"yes"}]}]})") ==
          R"("verdicts[0].parts[0].attachment" is not true or false)");
    CHECK(problem(R"({"portcullis":1,"verdicts":[{"parts":[)"
                  R"({"attachment":true,"filename":5}]}]})") ==
          R"("verdicts[0].parts[0].filename" is not a string)");
    CHECK(problem(R"({"portcullis":1,"verdicts":[{"parts":[)"
                  R"({"content_type":["text/plain"]}]}]})") ==
          R"("verdicts[0].parts[0].content_type" is not a string)");
}

TEST_CASE("read_record names an envelope field of the wrong type") {
    CHECK(problem(R"({"portcullis":1,"id":5,"error":"gone"})") ==
          R"("id" is not a string)");
    CHECK(problem(R"({"portcullis":1,"error":5})") ==
          R"("error" is not a string)");
    CHECK(problem(R"({"portcullis":1,"source":false})") ==
          R"("source" is not a string)");
    CHECK(problem(R"({"portcullis":1,"verdicts":{}})") ==
          R"("verdicts" is not a list)");
    CHECK(problem(R"({"portcullis":1,"verdicts":[1]})") ==
          R"("verdicts[0]" is not an object)");
}

TEST_CASE("read_record refuses a count that is negative, fractional or huge") {
    CHECK(problem(R"({"portcullis":1,"bytes":-10})") ==
          R"("bytes" is not a non-negative integer)");
    CHECK(problem(R"({"portcullis":1,"bytes":1e300})") ==
          R"("bytes" is not a non-negative integer)");
    CHECK(problem(R"({"portcullis":1,"bytes":18446744073709551616})") ==
          R"("bytes" is not a non-negative integer)");
    CHECK(problem(R"({"portcullis":1,"bytes":5.0})") ==
          R"("bytes" is not a non-negative integer)");
    CHECK(problem(R"({"portcullis":1,"bytes":18446744073709551615})") == "ok");
}

TEST_CASE("message_size checks the fields that frame a record") {
    auto size = [](const std::string& line) {
        return report::message_size(ordered_json::parse(line));
    };
    CHECK(*size(R"({"portcullis":1,"size":42})") == 42);
    CHECK(*size(R"({"portcullis":1,"bytes":42})") == 0);
    CHECK(size(R"({"portcullis":2,"size":0})").error().message ==
          "unsupported format version 2");
    CHECK(size(R"({"portcullis":"1","size":0})").error().message ==
          R"("portcullis" is not an integer)");
    CHECK(size(R"({"portcullis":1,"size":-5})").error().message ==
          R"("size" is not a non-negative integer)");
    CHECK(size(R"({"portcullis":1,"size":5.5})").error().message ==
          R"("size" is not a non-negative integer)");
}

TEST_CASE("read_record tells error lines and wiretap copies apart") {
    auto error = report::read_record(ordered_json::parse(
        R"({"portcullis":1,"id":"a.eml","verdicts":[],"error":"gone"})"));
    REQUIRE(error);
    CHECK(error->kind == report::RecordKind::error_line);
    CHECK(error->error == "gone");
    auto copy = report::read_record(
        ordered_json::parse(R"({"portcullis":1,"size":3,"source":"wiretap"})"));
    REQUIRE(copy);
    CHECK(copy->kind == report::RecordKind::wiretap_copy);
}

TEST_CASE("read_record takes per-recipient actions into the verdict's "
          "severity") {
    auto facts = report::read_record(ordered_json::parse(
        R"({"portcullis":1,"verdicts":[{"tool":"spam-score","action":"pass",)"
        R"("rcpt":{"bob@example.com":{"action":"reject"},)"
        R"("carol@example.com":{"action":"tag","note":1}}},)"
        R"({"tool":"av-scan","action":"quarantine","rcpt":{}}]})"));
    REQUIRE(facts);
    REQUIRE(facts->verdicts.size() == 2);
    CHECK(facts->verdicts[0].rcpt_actions ==
          std::vector<std::string>{"reject", "tag"});
    CHECK(report::most_severe_action(facts->verdicts[0]) ==
          verdict::Action::reject);
    CHECK(report::most_severe_action(facts->verdicts[1]) ==
          verdict::Action::quarantine);
}

TEST_CASE("read_record names a per-recipient action that is wrong by its "
          "position") {
    CHECK(problem(R"({"portcullis":1,"verdicts":[{"tool":"x","action":"pass",)"
                  R"("rcpt":["bob@example.com"]}]})") ==
          R"("verdicts[0].rcpt" is not an object)");
    CHECK(problem(R"({"portcullis":1,"verdicts":[{"tool":"x","action":"pass",)"
                  R"("rcpt":{"a@x":{"action":"tag"},"b@x":"reject"}}]})") ==
          R"("verdicts[0].rcpt[1]" is not an object)");
    CHECK(problem(R"({"portcullis":1,"verdicts":[{"tool":"x","action":"pass",)"
                  R"("rcpt":{"a@x":{"action":5}}}]})") ==
          R"("verdicts[0].rcpt[0].action" is not a string)");
    CHECK(problem(R"({"portcullis":1,"verdicts":[{"tool":"x","action":"pass",)"
                  R"("rcpt":{"a@x":{}}}]})") ==
          R"("verdicts[0].rcpt[0].action" is missing)");
    CHECK(
        problem(R"({"portcullis":1,"verdicts":[{"tool":"x","action":"pass"},)"
                R"({"tool":"x","action":"pass","rcpt":{"a@x":{"action":"tag"},)"
                R"("\u001b]0;x":{"action":"Reject"}}}]})") ==
        R"("verdicts[1].rcpt[1].action" is not tempfail, reject, discard, )"
        R"(quarantine, redirect, folder, tag or pass)");
}
