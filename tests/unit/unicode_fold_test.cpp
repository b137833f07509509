// Case folding and capitals in every script.
#include "mail/unicode_fold.hpp"

#include <catch2/catch.hpp>

#include <string>

using portcullis::mime::unicode_folded;
using portcullis::mime::written_in_capitals;

TEST_CASE("unicode_folded composes and folds text beyond ASCII only") {
    CHECK(unicode_folded("\xc3\x89NORME") == "\xc3\xa9norme"); // ÉNORME
    CHECK(unicode_folded("e\xcc\x81t\xc3\xa9") == "\xc3\xa9t\xc3\xa9");
    CHECK(unicode_folded("Stra\xc3\x9f"
                         "e") == "strasse");
    // ASCII is the caller's to fold; bytes that are not UTF-8, or hold
    // a NUL, have no reading of this kind.
    CHECK_FALSE(unicode_folded("FREE"));
    CHECK_FALSE(unicode_folded("caf\xe9"));
    CHECK_FALSE(unicode_folded(std::string("\xc3\x89\0x", 4)));
}

TEST_CASE("written_in_capitals reads every script") {
    CHECK(written_in_capitals("FREE", 3));
    CHECK(written_in_capitals("R2D2", 3));
    CHECK(written_in_capitals("\xc3\x89NORME", 3));
    CHECK(written_in_capitals("\xce\x94\xce\xa9\xce\xa1", 3)); // ΔΩΡ
    CHECK_FALSE(written_in_capitals("Free", 3));
    CHECK_FALSE(written_in_capitals("\xc3\x89norme", 3));
    CHECK_FALSE(written_in_capitals("OK", 3));
    CHECK_FALSE(written_in_capitals("\xc3\x89T", 3)); // two characters
    CHECK_FALSE(written_in_capitals("100%", 3));
    CHECK_FALSE(written_in_capitals("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 3));
    // Not UTF-8: read as ASCII, the stray byte no letter.
    CHECK(written_in_capitals("CAF\xc9", 3));
}
