// Uuencoded blocks in body text: found at line starts only, decoded
// leniently, bounded in count and in output size.
#include "core/digest.hpp"
#include "mail/uuencode.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;
using mime::find_uuencoded;

namespace {

// Bytes 0..99, uuencoded by a reference uuencode with backquotes.
const std::string block = R"uu(begin 644 bytes.bin
M``$"`P0%!@<("0H+#`T.#Q`1$A,4%187&!D:&QP='A\@(2(C)"4F)R@I*BLL
M+2XO,#$R,S0U-C<X.3H[/#T^/T!!0D-$149'2$E*2TQ-3D]045)35%565UA9
*6EM<75Y?8&%B8P``
`
end
)uu";

const char* bytes_sha256 =
    "bce0aff19cf5aa6a7469a30d61d04e4376e4bbf6381052ee9e7f33925c954d52";

} // namespace

TEST_CASE("a uuencoded block inside text is found and decoded") {
    auto files = find_uuencoded("Please see below.\n\n" + block + "Bye.\n", 8);
    REQUIRE(files.size() == 1);
    CHECK(files[0].name == "bytes.bin");
    CHECK(files[0].data.size() == 100);
    CHECK(digest::sha256_hex(files[0].data) == bytes_sha256);
}

TEST_CASE("a uuencoded block with CRLF line ends decodes the same") {
    std::string crlf;
    for (char c : block) {
        if (c == '\n')
            crlf += '\r';
        crlf += c;
    }
    auto files = find_uuencoded(crlf, 8);
    REQUIRE(files.size() == 1);
    CHECK(digest::sha256_hex(files[0].data) == bytes_sha256);
}

TEST_CASE("a uuencoded block without end closes at the end of the text") {
    std::string cut = block.substr(0, block.find("`\nend"));
    auto files = find_uuencoded(cut, 8);
    REQUIRE(files.size() == 1);
    CHECK(files[0].data.size() == 100);
}

TEST_CASE("begin in the middle of a line is not a block") {
    auto files = find_uuencoded(
        "we begin 644 x.exe today\n" + block.substr(block.find('\n') + 1), 8);
    CHECK(files.empty());
}

TEST_CASE("prose that starts with begin and a number is not a block") {
    auto files = find_uuencoded("begin 10 minutes early\nthanks all\n", 8);
    CHECK(files.empty());
}

TEST_CASE("only max_files blocks are returned") {
    std::string text = block + block + block;
    CHECK(find_uuencoded(text, 2).size() == 2);
    CHECK(find_uuencoded(text, 8).size() == 3);
}

TEST_CASE("a short uuencoded line never inflates beyond its length") {
    std::string text = "begin 644 bomb\n";
    for (int i = 0; i < 1000; ++i)
        text += "M\n";
    text += "end\n";
    auto files = find_uuencoded(text, 8);
    REQUIRE(files.size() == 1);
    CHECK(files[0].data.empty());
}

TEST_CASE("a begin-base64 block is decoded until its ==== line") {
    auto files = find_uuencoded(
        "begin-base64 600 note.txt\naGVsbG8gd29ybGQK\n====\ntail\n", 8);
    REQUIRE(files.size() == 1);
    CHECK(files[0].name == "note.txt");
    CHECK(files[0].data == "hello world\n");
}

TEST_CASE("yenc blocks are found at line starts and decoded") {
    // "hi" is 'h'+42 = 0x92, 'i'+42 = 0x93; '\x13' + 42 = '=', escaped
    // as "=" then '=' + 64 = '}'.
    std::string text = "see:\n=ybegin line=128 size=3 name=a b.txt\n"
                       "\x92\x93=}\n=yend size=3\n"
                       "not =ybegin here\n"
                       "=ybegin size=1 name=cut.bin\n\x2B";
    auto files = mime::find_yenc(text, 8);
    REQUIRE(files.size() == 2);
    CHECK(files[0].name == "a b.txt");
    CHECK(files[0].data == "hi\x13");
    CHECK(files[1].name == "cut.bin");
    CHECK(files[1].data == std::string(1, '\x01'));
    CHECK(mime::find_yenc(text, 1).size() == 1);
    CHECK_FALSE(mime::may_hold_yenc("no =ybegin at a line start"));
}
