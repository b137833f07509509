// The one set of invisible characters, pinned code point by code point,
// and the four readers that use it agreeing on the characters over which
// their old copies disagreed.
#include "core/strings.hpp"
#include "mail/attachment_type.hpp"
#include "mail/filename.hpp"
#include "mail/text.hpp"
#include "mail/unicode_marks.hpp"
#include "mail/zero_width.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

using namespace portcullis;

namespace {

// Default_Ignorable_Code_Point without the variation selectors, written
// out from DerivedCoreProperties.txt rather than from the code under test.
const std::vector<std::pair<char32_t, char32_t>> invisible_ranges = {
    {0x00AD, 0x00AD},   {0x034F, 0x034F},   {0x061C, 0x061C},
    {0x115F, 0x1160},   {0x17B4, 0x17B5},   {0x180E, 0x180E},
    {0x200B, 0x200F},   {0x202A, 0x202E},   {0x2060, 0x206F},
    {0x3164, 0x3164},   {0xFEFF, 0xFEFF},   {0xFFA0, 0xFFA0},
    {0xFFF0, 0xFFF8},   {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
    {0xE0000, 0xE00FF}, {0xE01F0, 0xE0FFF}};

bool listed(char32_t cp) {
    for (auto [first, last] : invisible_ranges) {
        if (cp >= first && cp <= last)
            return true;
    }
    return false;
}

std::string utf8(char32_t cp) {
    std::string out;
    append_utf8(out, cp);
    return out;
}

} // namespace

TEST_CASE("the invisible set is the default-ignorable code points without "
          "variation selectors") {
    size_t mismatches = 0;
    for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
        if (mail::is_invisible(cp) != listed(cp))
            ++mismatches;
    }
    CHECK(mismatches == 0);
    for (char32_t selector : {0x180BU, 0x180FU, 0xFE00U, 0xFE0FU, 0xE0100U})
        CHECK_FALSE(mail::is_invisible(selector));
}

TEST_CASE("the bidi controls are exactly Unicode's Bidi_Control and all "
          "invisible") {
    std::vector<char32_t> controls;
    for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
        if (mail::is_bidi_control(cp))
            controls.push_back(cp);
    }
    CHECK(controls == std::vector<char32_t>{0x061C, 0x200E, 0x200F, 0x202A,
                                            0x202B, 0x202C, 0x202D, 0x202E,
                                            0x2066, 0x2067, 0x2068, 0x2069});
    for (char32_t cp : controls) {
        CHECK(mail::is_invisible(cp));
        CHECK_FALSE(mail::is_zero_width(cp));
    }
}

TEST_CASE("a mongolian vowel separator hides in a file name for every "
          "reader") {
    std::string name = "invoice" + utf8(0x180E) + ".pdf.exe";
    CHECK(mime::has_hidden_characters(name));
    CHECK(mime::escape_hidden(name) == "invoice\\u180E.pdf.exe");
    auto ids = mime::filename_anomalies(name);
    CHECK(std::find(ids.begin(), ids.end(), "ZERO_WIDTH_IN_FILENAME") !=
          ids.end());
    attachment::NameInfo info = attachment::examine_name(name);
    CHECK(info.shown == "invoice.pdf.exe");
    CHECK(info.double_extension);
    CHECK(mime::has_zero_width("pay" + utf8(0x180E) + "ment"));
}

TEST_CASE("a soft hyphen, a bidi override and a tag character count as "
          "invisible text for every reader") {
    for (char32_t cp : {0x00ADU, 0x202EU, 0x2064U, 0xE0041U, 0x3164U}) {
        std::string word = "via" + utf8(cp) + "gra";
        CHECK(mime::has_zero_width(word));
        CHECK(mime::strip_zero_width(word) == "viagra");
        CHECK(attachment::examine_name(word + ".exe").shown == "viagra.exe");
        CHECK(mime::has_hidden_characters(word));
        std::string text = word;
        CHECK(text::remove_invisible(text) == 1);
        CHECK(text == "viagra");
    }
}

TEST_CASE("an emoji with its presentation selector is not invisible text") {
    std::string heart = "\xE2\x9D\xA4\xEF\xB8\x8F thanks";
    CHECK_FALSE(mime::has_zero_width(heart));
    std::string text = heart;
    CHECK(text::remove_invisible(text) == 0);
}

TEST_CASE("a byte order mark starting the text is not flagged but one "
          "inside it is") {
    CHECK_FALSE(mime::has_zero_width("\xEF\xBB\xBFhello"));
    CHECK(mime::has_zero_width("hel\xEF\xBB\xBFlo"));
}

TEST_CASE("an overlong or cut sequence is not an invisible character") {
    CHECK_FALSE(mime::has_zero_width("a\xF0\x82\x80\x8B b"));
    CHECK_FALSE(mime::has_zero_width("a\xE2\x80"));
    CHECK(mime::strip_zero_width("a\xE2\x80") == "a\xE2\x80");
}

TEST_CASE("invisible characters written as HTML references are found") {
    CHECK(mime::has_zero_width_entity("pay&#8203;ment"));
    CHECK(mime::has_zero_width_entity("pay&#x200B;ment"));
    CHECK(mime::has_zero_width_entity("pay&#x180e;ment"));
    CHECK(mime::has_zero_width_entity("pay&shy;ment"));
    CHECK(mime::has_zero_width_entity("pay&zwnj;ment"));
    CHECK(mime::has_zero_width_entity("pay&rlm;ment"));
    CHECK_FALSE(mime::has_zero_width_entity("fish &amp; chips &#65; &#xFE0F;"));
    CHECK_FALSE(mime::has_zero_width_entity("&#99999999999; &#x; &"));
    // A name needs its ';' and its case, and a stray '&' before it does
    // not hide it.
    CHECK(mime::has_zero_width_entity("&&&pay&&zwj;ment"));
    CHECK(mime::has_zero_width_entity("a&NegativeVeryThinSpace;b"));
    CHECK_FALSE(mime::has_zero_width_entity("pay&shy ment &Shy; &zwj"));
    CHECK_FALSE(mime::has_zero_width_entity("&zwjx; &;zwj;"));
}
