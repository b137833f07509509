// Envelope nesting is bounded before the JSON parser recurses.
#include "core/stream.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;

TEST_CASE("an envelope nested 100,000 deep is refused, not parsed") {
    std::string deep =
        "{\"portcullis\":1,\"size\":0,\"x\":" + std::string(100000, '[') +
        std::string(100000, ']') + "}";
    auto envelope = stream::parse_envelope(deep);
    REQUIRE(!envelope.ok());
    CHECK(envelope.error().message == "envelope nested deeper than 64 levels");
}

TEST_CASE("brackets inside strings do not count as nesting") {
    CHECK_FALSE(stream::nesting_exceeds(
        "{\"a\":\"" + std::string(500, '[') + "\\\"\"}", 64));
    CHECK(stream::nesting_exceeds(std::string(65, '['), 64));
}
