// The lenient base64 decoder and the RFC 2047 decoder: junk skipped and
// counted, footers after the padding left out, charsets converted.
#include "mail/base64.hpp"
#include "mail/charset.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;

namespace {

std::string decode(std::string_view text, mime::Base64Stats* stats = nullptr) {
    std::string out;
    mime::Base64Stats got = mime::decode_base64(text, out);
    if (stats)
        *stats = got;
    return out;
}

} // namespace

TEST_CASE("base64 decodes across line breaks with no garbage counted") {
    mime::Base64Stats stats;
    CHECK(decode("aGVs\r\nbG8g\r\nd29y\r\nbGQ=\r\n", &stats) == "hello world");
    CHECK(stats.garbage_bytes == 0);
}

TEST_CASE("bytes outside the base64 alphabet are skipped and counted") {
    mime::Base64Stats stats;
    CHECK(decode("aGV!sbG*8=", &stats) == "hello");
    CHECK(stats.garbage_bytes == 2);
}

TEST_CASE("a footer line after the padding is not decoded") {
    mime::Base64Stats stats;
    CHECK(decode("aGk=\r\n-- sent from a list --\r\n", &stats) == "hi");
    CHECK(stats.garbage_bytes > 0);
}

TEST_CASE("a clean base64 block after padding is decoded too") {
    mime::Base64Stats stats;
    CHECK(decode("aGk=\r\naGk=\r\n", &stats) == "hihi");
    CHECK(stats.data_after_padding);
}

TEST_CASE("unpadded base64 keeps its last partial quantum") {
    CHECK(decode("aGk") == "hi");
    CHECK(decode("aA") == "h");
}

TEST_CASE("encoded-words in B and Q form are decoded") {
    CHECK(mime::decode_encoded_words("=?utf-8?B?aGVsbG8=?= world") ==
          "hello world");
    CHECK(mime::decode_encoded_words("=?iso-8859-1?q?caf=E9_au_lait?=") ==
          "caf\xC3\xA9 au lait");
}

TEST_CASE("white space between adjacent encoded-words is dropped") {
    CHECK(mime::decode_encoded_words("=?utf-8?q?a?= \r\n =?utf-8?q?b?=") ==
          "ab");
    CHECK(mime::decode_encoded_words("=?utf-8?q?a?= x =?utf-8?q?b?=") ==
          "a x b");
}

TEST_CASE("a malformed encoded-word is left as written") {
    CHECK(mime::decode_encoded_words("=?utf-8?x?abc?=") == "=?utf-8?x?abc?=");
    CHECK(mime::decode_encoded_words("=?utf-8?q?no end") == "=?utf-8?q?no end");
}

TEST_CASE("text in an unknown charset keeps its bytes") {
    CHECK(mime::to_utf8("abc\xFF", "x-no-such-charset") == "abc\xFF");
}

TEST_CASE("bytes a charset cannot explain become U+FFFD") {
    CHECK(mime::to_utf8("ok\x81", "shift_jis") == "ok\xEF\xBF\xBD");
}
