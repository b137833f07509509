// report's top lists: exact while their keys fit, bounded after, and a
// summary whose totals and alerts do not move when a list is capped.
#include "report.hpp"
#include "report_top.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace portcullis;
using namespace portcullis::report;

namespace {

std::vector<std::tuple<std::string, uint64_t, uint64_t>>
rows(const TopList& list, size_t n = 10) {
    std::vector<std::tuple<std::string, uint64_t, uint64_t>> out;
    for (const TopEntry& row : list.top(n))
        out.emplace_back(row.key, row.count, row.at_most);
    return out;
}

// One message that mime-split found an attachment in and spam-score
// gave a reason.
RecordFacts message(const std::string& type, const std::string& reason) {
    RecordFacts record;
    VerdictFacts split;
    split.tool = "mime-split";
    split.action = "pass";
    split.attachment_types = {type};
    VerdictFacts score;
    score.tool = "spam-score";
    score.action = "tag";
    score.reason_ids = {reason};
    record.verdicts = {split, score};
    return record;
}

} // namespace

TEST_CASE("a top list counts exactly while its keys fit") {
    TopList list(3);
    for (const char* key : {"a", "b", "a", "c", "a", "b"})
        list.add(key);
    CHECK(!list.capped());
    CHECK(list.total() == 6);
    using Row = std::tuple<std::string, uint64_t, uint64_t>;
    CHECK(rows(list) ==
          std::vector<Row>{{"a", 3, 3}, {"b", 2, 2}, {"c", 1, 1}});
    CHECK(rows(list, 2) == std::vector<Row>{{"a", 3, 3}, {"b", 2, 2}});
}

TEST_CASE("a full top list drops its least counted key for a new one") {
    TopList list(2);
    for (const char* key : {"a", "a", "b", "c"})
        list.add(key);
    // b had one, the least: c takes its place and may owe it that one.
    CHECK(list.capped());
    CHECK(list.total() == 4);
    using Row = std::tuple<std::string, uint64_t, uint64_t>;
    CHECK(rows(list) == std::vector<Row>{{"a", 2, 2}, {"c", 1, 2}});
}

TEST_CASE("a top list ties on the least counted key drop the longest idle") {
    TopList list(2);
    for (const char* key : {"a", "b", "c"})
        list.add(key);
    using Row = std::tuple<std::string, uint64_t, uint64_t>;
    CHECK(rows(list) == std::vector<Row>{{"b", 1, 1}, {"c", 1, 2}});
}

TEST_CASE("a key seen often only after the list filled is still listed") {
    TopList list(100);
    uint64_t junk = 0;
    for (; junk < 10000; ++junk)
        list.add(fmt::format("junk {}", junk));
    for (int i = 0; i < 1000; ++i) {
        list.add("late");
        list.add(fmt::format("junk {}", junk++));
    }
    std::vector<TopEntry> top = list.top(1);
    REQUIRE(top.size() == 1);
    CHECK(top[0].key == "late");
    // Counted since it came in, which it never left: exact, and the
    // bound above it is what the dropped key it replaced had.
    CHECK(top[0].count == 1000);
    CHECK(top[0].at_most > 1000);
    CHECK(top[0].at_most <= 1000 + list.total() / 100);
    CHECK(list.total() == 12000);
}

TEST_CASE("a top list keeps no more keys than its cap") {
    TopList list(50);
    for (int i = 0; i < 5000; ++i)
        list.add(fmt::format("key {}", i));
    CHECK(list.top(1000).size() == 50);
    CHECK(list.total() == 5000);
}

TEST_CASE("a key longer than the limit is cut, never inside a character") {
    std::string long_key(300, 'a');
    CHECK(cut_key(long_key) == std::string(200, 'a') + "...");
    // The mark would take what the cut saves: kept whole.
    std::string near(203, 'a');
    CHECK(cut_key(near) == near);
    // "é" is two bytes, the second of them at the cut.
    std::string utf8 =
        std::string(199, 'a') + "\xc3\xa9" + std::string(50, 'b');
    CHECK(cut_key(utf8) == std::string(199, 'a') + "...");
    CHECK(cut_key(cut_key(utf8)) == cut_key(utf8));

    TopList list;
    list.add(long_key);
    list.add(long_key + "b");
    CHECK(rows(list) ==
          std::vector<std::tuple<std::string, uint64_t, uint64_t>>{
              {std::string(200, 'a') + "...", 2, 2}});
}

TEST_CASE("a capped summary keeps its totals and its alert reasons exact") {
    Options options;
    options.max_keys = 2;
    options.alerts = {*parse_alert("reason:R0>0")};
    Summary summary(options);
    for (int i = 0; i < 5; ++i)
        summary.add(message("application/pdf", "HEAVY"));
    for (int i = 0; i < 4; ++i)
        summary.add(message(fmt::format("type/{}", i), fmt::format("R{}", i)));

    // R0 was the first key the capped list dropped; its alert still
    // counts it.
    CHECK(summary.figures().reasons ==
          std::map<std::string, uint64_t>{{"R0", 1}});
    CHECK(summary.figures().messages == 9);
    CHECK(summary.figures().outcomes ==
          std::map<std::string, uint64_t>{{"tag", 9}});

    nlohmann::ordered_json json = summary.to_json(2, {});
    CHECK(json["messages"] == 9);
    CHECK(json["top_attachment_types"].dump() ==
          R"([{"key":"application/pdf","count":5},)"
          R"({"key":"type/3","count":1,"at_most":4}])");
    CHECK(json["top_reasons"].dump() ==
          R"([{"key":"spam-score HEAVY","count":5},)"
          R"({"key":"spam-score R3","count":1,"at_most":4}])");
    // 5 + 1 listed, and the rest: the 9 attachments, all of them.
    CHECK(json["capped"].dump() ==
          R"({"top_reasons":{"max_keys":2,"total":9,"other":3},)"
          R"("top_attachment_types":{"max_keys":2,"total":9,"other":3}})");
    CHECK(json["anomalies"].dump() == "[]");
}

TEST_CASE("a capped list says so in the text and ends with the rest") {
    Options options;
    options.max_keys = 2;
    Summary summary(options);
    for (const char* type : {"a/a", "a/a", "b/b", "c/c", "a/a"})
        summary.add(message(type, "R"));
    std::string text = summary.to_text(10, {});
    CHECK(text.find("\ntop attachment types (more than 2 keys, see "
                    "--max-keys)\n"
                    "         3  a/a\n"
                    "         1  c/c (up to 2)\n"
                    "         1  (the rest)\n") != std::string::npos);
    // A list that never passed its cap reads as it always did.
    CHECK(text.find("\ntop reasons\n"
                    "         5  spam-score R\n\n") != std::string::npos);
}
