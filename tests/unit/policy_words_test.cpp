// Word lists: whole words, case-insensitively, phrases across any white
// space, counted once per occurrence.
#include "policy_words.hpp"

#include <catch2/catch.hpp>

using namespace portcullis::policy;

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
