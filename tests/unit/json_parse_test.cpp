// JSON read in linear time: an object of tens of thousands of keys,
// as an envelope line may hold, is read as fast as a list of as many
// strings, with nlohmann's key order kept; a key given twice is refused.
#include "core/json_parse.hpp"
#include "core/stream.hpp"

#include "elapsed.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <fmt/format.h>

using namespace portcullis;
using nlohmann::ordered_json;
using portcullis::test::ms_since;

namespace {

// The quadratic parser took over 4 s for the 46,000 keys that fit the
// default 1 MiB line on the test machine, so 60,000 keys take 7 s or more;
// read linearly they take a fraction of a second, sanitizers and a busy
// machine included (200,000 keys took 3.9 s under ASan with two jobs).
constexpr long long quick_ms = 3000;

std::string many_keys(const char* field, int count) {
    std::string line = fmt::format(
        R"({{"portcullis":1,"size":0,"verdicts":[{{"tool":"x","{}":{{)", field);
    for (int i = 0; i < count; ++i)
        line += fmt::format(R"({}"u{}@example.com":{{"action":"pass"}})",
                            i ? "," : "", i);
    return line + "}}]}";
}

} // namespace

TEST_CASE("an envelope object of sixty thousand keys is read in "
          "linear time") {
    std::string line = many_keys("rcpt", 60000);
    auto began = std::chrono::steady_clock::now();
    auto envelope = stream::parse_envelope(line);
    long long elapsed_ms = ms_since(began);

    REQUIRE(envelope);
    const ordered_json& rcpt = (*envelope)["verdicts"][0]["rcpt"];
    REQUIRE(rcpt.size() == 60000);
    CHECK(rcpt.begin().key() == "u0@example.com");
    CHECK(std::prev(rcpt.end()).key() == "u59999@example.com");
    CHECK(elapsed_ms < quick_ms);
}

TEST_CASE("parsed JSON keeps key order and nlohmann's values") {
    ordered_json value = parse_json(
        R"({"z":1,"a":[true,null,-2,3.5,"s",{"k":{}}],"m":{"b":2,"a":1}})");
    REQUIRE(value.is_object());
    CHECK(value.dump() ==
          R"({"z":1,"a":[true,null,-2,3.5,"s",{"k":{}}],"m":{"b":2,"a":1}})");
    CHECK(value["a"][2].is_number_integer());
    CHECK(value["z"].is_number_unsigned());
    CHECK(parse_json("[]") == ordered_json::array());
    CHECK(parse_json("\"x\"") == "x");
}

TEST_CASE("an object that gives a key twice is refused, at any depth") {
    for (const char* text :
         {R"({"a":1,"b":{"x":1},"a":{"y":[2]}})", R"({"b":{"x":1,"x":2}})",
          R"([{"tool":"x","action":"reject","action":"pass"}])"}) {
        INFO(text);
        std::string problem;
        CHECK(parse_json(text, &problem).is_discarded());
        CHECK(problem == "gives a key twice in one object");
    }
    // The same key in two objects is no repeat.
    CHECK(parse_json(R"([{"a":1},{"a":2}])").dump() == R"([{"a":1},{"a":2}])");
    std::string problem;
    CHECK(parse_json("{\"a\":", &problem).is_discarded());
    CHECK(problem == "is not valid JSON");
}

TEST_CASE("text that is not one JSON value is discarded") {
    for (const char* text : {"", "{", "{\"a\":}", "{} {}", "{\"a\":1}x", "[1,]",
                             "{\"a\":\"\xff\"}", "nul"}) {
        INFO(text);
        CHECK(parse_json(text).is_discarded());
    }
}
