// The RFC 2047 encoder for header text we write (wiretap's notice
// subjects): plain ASCII as it is, anything else in encoded-words that
// decode back to the same text and keep lines within 76 characters.
#include "mail/base64.hpp"
#include "mail/charset.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace portcullis;

namespace {

// The lines of a folded value, the first one after column characters.
std::vector<size_t> line_lengths(const std::string& value, size_t column) {
    std::vector<size_t> out;
    size_t start = 0;
    for (;;) {
        size_t end = value.find("\r\n", start);
        size_t length = (end == std::string::npos ? value.size() : end) - start;
        out.push_back(length + (out.empty() ? column : 0));
        if (end == std::string::npos)
            return out;
        start = end + 2;
    }
}

} // namespace

TEST_CASE("base64 encodes with padding") {
    CHECK(mime::encode_base64("") == "");
    CHECK(mime::encode_base64("h") == "aA==");
    CHECK(mime::encode_base64("he") == "aGU=");
    CHECK(mime::encode_base64("hel") == "aGVs");
    CHECK(mime::encode_base64("\xff\xfe") == "//4=");
}

TEST_CASE("printable ASCII header text is written as it is") {
    CHECK(mime::encode_words("case-17 (Bob)") == "case-17 (Bob)");
}

TEST_CASE("UTF-8 header text becomes one encoded-word when it fits") {
    CHECK(mime::encode_words("\xc3\x84rger-7", 40) ==
          "=?UTF-8?B?w4RyZ2VyLTc=?=");
}

TEST_CASE("ASCII that looks like an encoded-word or holds a control is "
          "encoded") {
    CHECK(mime::encode_words("=?x?Q?y?=") == "=?UTF-8?B?PT94P1E/eT89?=");
    CHECK(mime::encode_words("a\tb") == "=?UTF-8?B?YQli?=");
}

TEST_CASE("long header text is folded between characters and decodes back") {
    std::string text;
    for (int i = 0; i < 40; ++i)
        text += "\xe2\x82\xac"; // U+20AC, three bytes: never split
    std::string value = mime::encode_words(text, 40);
    for (size_t length : line_lengths(value, 40))
        CHECK(length <= 76);
    CHECK(value.find("\r\n ") != std::string::npos);
    CHECK(mime::decode_encoded_words(value) == text);
}
