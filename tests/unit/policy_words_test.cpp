// Word lists: whole words, case-insensitively, phrases across any white
// space, counted once per occurrence.
#include "policy_words.hpp"

#include "mail/text.hpp"

#include "elapsed.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace portcullis::policy;
using portcullis::test::ms_since;

namespace {

// A generous bound: a megabyte of letters is split in well under a
// tenth of it, sanitizers and a busy machine included; normalising each
// run whole, as GLib's time grows with the square of its input, took
// 17 s for each of the texts below.
constexpr long long quick_ms = 2000;

std::string repeat(std::string_view unit, size_t count) {
    std::string out;
    out.reserve(unit.size() * count);
    for (size_t i = 0; i < count; ++i)
        out += unit;
    return out;
}

} // namespace

TEST_CASE("words are split on anything but letters and digits") {
    CHECK(split_words("Hello, WORLD!\r\nNDA-2024 caf\xC3\xA9").words ==
          std::vector<std::string>{"hello", "world", "nda", "2024",
                                   "caf\xC3\xA9"});
}

TEST_CASE("non-ascii letters fold case and stay in the word") {
    CHECK(split_words("VERTRAULICH \xC3\x9C"
                      "BER")
              .words == std::vector<std::string>{"vertraulich", "\xC3\xBC"
                                                                "ber"});
}

TEST_CASE("look-alike forms of letters read as the letters") {
    using Split = std::vector<std::string>;
    // café typed with a separate accent is the café of the list.
    CHECK(split_words("cafe\xCC\x81").words == Split{"caf\xC3\xA9"});
    // A mark that decorates nothing a reader reads is dropped:
    // c with a combining low line.
    CHECK(split_words("c\xCC\xB2onfidential").words == Split{"confidential"});
    // Mathematical bold, full-width letters and the fi ligature.
    CHECK(split_words("\xF0\x9D\x90\x9C\xF0\x9D\x90\xA8\xF0\x9D\x90\xA7"
                      " \xEF\xBC\xAE\xEF\xBC\xA4\xEF\xBC\xA1 \xEF\xAC\x81le")
              .words == Split{"con", "nda", "file"});
    // Letters in a circle or a square are symbols to Unicode, and split
    // the word they stood in (break test): read as the letters.
    CHECK(split_words("con\xE2\x93\x95idential \xF0\x9F\x84\xB0"
                      "BC \xE2\x93\x92")
              .words == Split{"confidential", "abc", "c"});
    // So are letters in parentheses, which NFKC would split: U+24A1 is
    // a parenthesized f.
    CHECK(
        split_words("con\xE2\x92\xA1idential \xE2\x92\x9C\xE2\x92\x9D").words ==
        Split{"confidential", "ab"});
    // Accents stay: ano is not a\xC3\xB1o.
    CHECK(split_words("a\xC3\xB1o").words == Split{"a\xC3\xB1o"});
}

TEST_CASE("chinese, japanese and korean letters are words of their own") {
    // 日本語 in running text, with no spaces, is found as a phrase.
    auto list =
        WordList::from_entries({"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"});
    auto words =
        split_words("\xE3\x81\x93\xE3\x82\x8C\xE3\x81\xAF\xE6\x97\xA5"
                    "\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xA7\xE3\x81\x99");
    CHECK(words.words.size() == 8);
    CHECK(list.find(words).count == 1);
}

TEST_CASE("a list matches whole words only") {
    auto list = WordList::from_entries({"confidential", "NDA"});
    CHECK(list.find(split_words("Confidential: see the nda.")).count == 2);
    CHECK(list.find(split_words("unconfidential agenda")).count == 0);
}

TEST_CASE("a phrase matches across line breaks and markup left as space") {
    auto list = WordList::from_entries({"project falcon", "project"});
    auto hits = list.find(split_words("about Project\r\n  FALCON and project"));
    CHECK(hits.count == 2);
    CHECK(hits.examples ==
          std::vector<std::string>{"project falcon", "project"});
}

TEST_CASE("comments and blank lines in a list file are ignored") {
    auto missing = WordList::load("/nonexistent/list.txt");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().text() ==
          "/nonexistent/list.txt: cannot open word list");
    auto list = WordList::load(std::string(PORTCULLIS_TEST_DIR) +
                               "/../share/wordlists/confidential.txt");
    REQUIRE(list.ok());
    CHECK(list->size() == 16);
}

TEST_CASE("a megabyte of accented letters is one word split in linear "
          "time") {
    std::string text = repeat("\xC3\xA9", 512 * 1024);
    auto began = std::chrono::steady_clock::now();
    Words words = split_words(text);
    long long elapsed_ms = ms_since(began);

    REQUIRE(words.words.size() == 1);
    CHECK(words.words[0] == text);
    CHECK(elapsed_ms < quick_ms);
}

TEST_CASE("stray bytes read as letters are split in linear time") {
    // Invalid UTF-8 is read as Windows-1252: 0xC3 is the letter \xC3\x83.
    std::string text =
        portcullis::text::to_utf8(std::string(512 * 1024, '\xC3'), "utf-8");
    auto began = std::chrono::steady_clock::now();
    Words words = split_words(text);
    long long elapsed_ms = ms_since(began);

    REQUIRE(words.words.size() == 1);
    CHECK(words.words[0] == repeat("\xC3\xA3", 512 * 1024));
    CHECK(elapsed_ms < quick_ms);
}

TEST_CASE("a long run composes its letters as a short one does") {
    using Split = std::vector<std::string>;
    // e and a separate acute accent, over many pieces of a long run.
    CHECK(split_words(repeat("e\xCC\x81", 300)).words ==
          Split{repeat("\xC3\xA9", 300)});
    // Half-width katakana ka and its voiced mark read as ga, each a word.
    CHECK(split_words(repeat("\xEF\xBD\xB6\xEF\xBE\x9E", 200)).words ==
          Split(200, "\xE3\x82\xAC"));
    // Hangul jamo g, a and final k compose to the syllable gak.
    CHECK(split_words(repeat("\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8", 200))
              .words == Split(200, "\xEA\xB0\x81"));
    // Marks that decorate nothing are dropped however long the run.
    CHECK(split_words(repeat("C\xCC\xB2", 300)).words ==
          Split{std::string(300, 'c')});
}
