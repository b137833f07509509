// HTML reduced to text in linear time: stray '<' and '&' and a flood of
// comments, each of which once cost a search to the end of the body or
// a walk over every entity name, are read in one pass.
#include "mail/text.hpp"

#include "elapsed.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace portcullis;
using portcullis::test::ms_since;

namespace {

// A generous bound: each body below is read in a few milliseconds, and
// in well under this with sanitizers on a busy machine; the versions
// these tests pin took 23 s for a quarter of a megabyte of '<', 16 s
// and 24 s for half a megabyte of "a < b" and of comments, and 4.8 s for
// four megabytes of '&'.
constexpr long long quick_ms = 1000;

// The walk over the entity names cost the same at every '&': linear,
// but slow. Four megabytes of them took 4.8 s; now 60 ms, and a second
// with sanitizers, so the bound there is looser.
constexpr long long entity_walk_ms = 4000;

std::string repeat(std::string_view unit, size_t bytes) {
    std::string out;
    out.reserve(bytes + unit.size());
    while (out.size() < bytes)
        out += unit;
    return out;
}

// Reduces html to text, setting elapsed_ms to the time it took.
text::Html timed_text(const std::string& html, long long& elapsed_ms) {
    auto began = std::chrono::steady_clock::now();
    text::Html out = text::html_to_text(html);
    elapsed_ms = ms_since(began);
    return out;
}

} // namespace

TEST_CASE("a lone '<' is text told without a search for its '>'") {
    std::string html = repeat("<", 256 * 1024);
    long long elapsed_ms = 0;
    text::Html out = timed_text(html, elapsed_ms);

    CHECK(out.text == html);
    CHECK(elapsed_ms < quick_ms);
}

TEST_CASE("'a < b' written half a megabyte long is text read in linear "
          "time") {
    std::string html = repeat("a < b <= c ", 512 * 1024);
    long long elapsed_ms = 0;
    text::Html out = timed_text(html, elapsed_ms);

    CHECK(out.text == html);
    CHECK(elapsed_ms < quick_ms);
}

TEST_CASE("half a megabyte of comments is skipped in linear time") {
    // None ends with "--!>", which was searched for to the end at each.
    std::string html = repeat("<!-- a -->x", 512 * 1024);
    long long elapsed_ms = 0;
    text::Html out = timed_text(html, elapsed_ms);

    CHECK(out.text == repeat("x", out.text.size()));
    CHECK(out.text.size() == html.size() / 11);
    CHECK(elapsed_ms < quick_ms);
}

TEST_CASE("stray '&' cost no walk over the entity names") {
    std::string html = repeat("&", 4 * 1024 * 1024);
    long long elapsed_ms = 0;
    text::Html out = timed_text(html, elapsed_ms);

    CHECK(out.text == html);
    CHECK(elapsed_ms < entity_walk_ms);
}

TEST_CASE("formatting elements reopened in every paragraph cost a bounded "
          "number each") {
    // 4,000 different <b> in one paragraph, then 10,000 paragraphs
    // that each reopen those remembered: a browser reopens all of them
    // each time (40 million openings here); past
    // OpenElements::max_formatting, the oldest are
    // forgotten.
    std::string html = "<p>";
    for (int i = 0; i < 4000; ++i)
        html += "<b style=\"x:" + std::to_string(i) + "\">";
    html += "</p>" + repeat("<p>x</p>", 80000);
    long long elapsed_ms = 0;
    text::Html out = timed_text(html, elapsed_ms);
    CHECK(text::squeeze_space(out.text) ==
          text::squeeze_space(repeat("x ", 20000)));
    CHECK(elapsed_ms < entity_walk_ms);
}

TEST_CASE("a script of escapes and dashes is read in linear time") {
    std::string html = "<script><!--" + repeat("<script>-</script>--", 800000);
    long long elapsed_ms = 0;
    text::Html out = timed_text(html + "--></script>PITCH", elapsed_ms);
    CHECK(text::squeeze_space(out.text) == "PITCH");
    CHECK(elapsed_ms < quick_ms);
}

TEST_CASE("end tags that move blocks out of deep formatting stay linear") {
    // Each </b> moves the elements above its <b>, eight times over: a
    // cycle of 500 blocks and 64 end tags cost 18 s for 10 MB before the
    // moves had a budget. Here 18 million moves without it, 262,144 with.
    std::string cycle = "<b>" + repeat("<div>", 2500) + repeat("</b>", 256) +
                        repeat("</div>", 3000);
    std::string html = repeat(cycle, 400000) + "PITCH";
    long long elapsed_ms = 0;
    text::Html out = timed_text(html, elapsed_ms);
    CHECK(text::squeeze_space(out.text) == "PITCH");
    CHECK(elapsed_ms < entity_walk_ms);
}
