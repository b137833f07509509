// BinHex 4.0 blocks in body text: found under their intro line, decoded
// through runs, header and both forks, and bounded in files, bytes and
// time however the sender lies about lengths.
#include "binhex_writer.hpp"
#include "core/limits.hpp"
#include "elapsed.hpp"
#include "mail/binhex.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;
using mime::find_binhex;
using namespace portcullis::test::binhex;
using portcullis::test::ms_since;

namespace {

// Made by an encoder built on Python's binascii.crc_hqx: hello.txt holding
// "hello world\n", and app with "data" in its data fork and "MZrsrc" in
// its resource fork.
const std::string hello_block =
    intro + ":#@KPE'a[,R4iG!\"849K8G(4iG!#3\"3`!N!3)CQKPE'a[)(G[FQaN#X*b"
            "!!!:\n";
const std::string app_block =
    intro + ":!f&`F!\"849K8G(4iG!#3\"33!N!-'!aYNBA4KKf*0@R*cFQ0VG!:\n";

} // namespace

TEST_CASE("the test's crc is CRC-16/XMODEM") {
    CHECK(crc16("123456789") == 0x31c3);
}

TEST_CASE("a BinHex block inside text is found and its data fork decoded") {
    std::string text = "Here it is:\n\n" + hello_block + "\nRegards\n";
    CHECK(mime::may_hold_binhex(text));
    auto found = find_binhex(text, 8, 1 << 20);
    REQUIRE(found.files.size() == 1);
    CHECK(found.files[0].name == "hello.txt");
    CHECK(found.files[0].data == "hello world\n");
    CHECK(found.problems.empty());
    CHECK_FALSE(found.limit_hit);
}

TEST_CASE("a BinHex block with CRLF line ends decodes the same") {
    std::string crlf;
    for (char c :
         hqx(header("crlf.bin", 200, 0) + fork_bytes(std::string(200, 'x'))))
        crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    auto found = find_binhex(crlf, 8, 1 << 20);
    REQUIRE(found.files.size() == 1);
    CHECK(found.files[0].data == std::string(200, 'x'));
    CHECK(found.problems.empty());
}

TEST_CASE("a resource fork that is not empty is a file of its own") {
    auto found = find_binhex(app_block, 8, 1 << 20);
    REQUIRE(found.files.size() == 2);
    CHECK(found.files[0].name == "app");
    CHECK(found.files[0].data == "data");
    CHECK(found.files[1].name == "app.rsrc");
    CHECK(found.files[1].data == "MZrsrc");
    CHECK(found.problems.empty());
}

TEST_CASE("runs expand and 0x90 0x00 is a literal marker byte") {
    // "a", a literal 0x90 run to three, then 'c' run to 255 and run again
    // by 45 more, then "d" with a run of one, which adds nothing.
    std::string data =
        "a" + std::string(3, '\x90') + std::string(300, 'c') + "d";
    std::string coded = "a\x90" + std::string(1, '\0') + "\x90\x03" +
                        "c\x90\xff\x90\x2e" + "d\x90\x01";
    auto found = find_binhex(
        hqx(header("runs.bin", 305, 0) + coded + literal(be(crc16(data), 2))),
        8, 1 << 20);
    REQUIRE(found.files.size() == 1);
    CHECK(found.files[0].data == data);
    CHECK(found.problems.empty());
}

TEST_CASE("a name in Mac Roman is read as UTF-8") {
    auto found = find_binhex(
        hqx(header("r\x8esum\x8e.txt", 1, 0) + fork_bytes("x")), 8, 64);
    REQUIRE(found.files.size() == 1);
    CHECK(found.files[0].name == "r\xc3\xa9sum\xc3\xa9.txt");
}

TEST_CASE("a bad crc is noted and the bytes are judged all the same") {
    auto found = find_binhex(
        hqx(header("bad.exe", 4, 0, false) + "MZ!!" + be(0x1234, 2)), 8,
        1 << 20);
    REQUIRE(found.files.size() == 1);
    CHECK(found.files[0].data == "MZ!!");
    CHECK(found.problems ==
          std::vector<std::string>{"block 1: header crc mismatch",
                                   "block 1: data fork crc mismatch"});
}

TEST_CASE("a block cut short keeps the bytes it holds") {
    std::string stream =
        header("cut.exe", 100, 0) + fork_bytes(std::string(100, 'm'));
    auto found = find_binhex(hqx(stream.substr(0, stream.size() - 62), false),
                             8, 1 << 20);
    REQUIRE(found.files.size() == 1);
    CHECK(found.files[0].data == std::string(40, 'm'));
    CHECK(found.problems ==
          std::vector<std::string>{"block 1: data fork cut short: 40 of 100",
                                   "block 1: no closing colon"});
}

TEST_CASE("a header cut short yields no file, and no colon no block") {
    auto found = find_binhex(hqx(header("short", 1, 0).substr(0, 9)), 8, 64);
    CHECK(found.files.empty());
    CHECK(found.problems ==
          std::vector<std::string>{"block 1: ends inside its header"});
    found = find_binhex(intro + "no data follows\n", 8, 64);
    CHECK(found.files.empty());
    CHECK(found.problems.empty());
}

TEST_CASE("a huge fork length is bounded by max_bytes and by the data") {
    // Each run of three bytes claims 254 more: 10000 of them in 40 kB of
    // text make 2.5 MB, under a header that claims 4 GiB.
    std::string text = hqx(bomb(10000));
    auto began = std::chrono::steady_clock::now();
    auto bounded = find_binhex(text, 8, 1000);
    REQUIRE(bounded.files.size() == 1);
    CHECK(bounded.files[0].data == std::string(1000, 'A'));
    CHECK(bounded.limit_hit);
    auto whole = find_binhex(text, 8, 1u << 30);
    REQUIRE(whole.files.size() == 1);
    CHECK(whole.files[0].data.size() == 1 + 10000 * 254);
    CHECK_FALSE(whole.limit_hit);
    CHECK(whole.problems ==
          std::vector<std::string>{"block 1: data fork cut short: 2540001 of "
                                   "4294967295"});
    CHECK(ms_since(began) < 2000);
}

TEST_CASE("a block's runs are cut at max_ratio times the block's size") {
    // 40 kB of runs claim 2.5 MB: a ratio of 4 keeps 4 times the block.
    std::string text = hqx(bomb(10000));
    size_t open = text.find(':') + 1;
    size_t block = text.find(':', open) - open;
    auto cut = find_binhex(text, 8, 1u << 30, 4);
    REQUIRE(cut.files.size() == 1);
    CHECK(cut.files[0].data.size() == 4 * block);
    CHECK(cut.limit_hit);
    CHECK(cut.ratio_hit);
    // max_bytes below the ratio's share is the limit that cuts.
    auto small = find_binhex(text, 8, 1000, 4);
    CHECK(small.files[0].data.size() == 1000);
    CHECK(small.limit_hit);
    CHECK_FALSE(small.ratio_hit);
    // A small block may always fill 64 KiB, however far it expands.
    auto floor = find_binhex(hqx(bomb(300)), 8, 1u << 30, 1);
    CHECK(floor.files[0].data.size() == Limits::expansion_floor_bytes);
    CHECK(floor.ratio_hit);
    // A file sent whole, of few runs, is under any ratio of 1 or more.
    auto hello = find_binhex(hello_block, 8, 1 << 20, 1);
    CHECK_FALSE(hello.limit_hit);
    CHECK(hello.files[0].data == "hello world\n");
}

TEST_CASE("a run with no byte before it and stray bytes are skipped") {
    std::string text =
        hqx("\x90\x05" + header("odd.txt", 2, 0) + fork_bytes("ok"));
    text.insert(text.find(':') + 3, "~ \t~");
    auto found = find_binhex(text, 8, 64);
    REQUIRE(found.files.size() == 1);
    CHECK(found.files[0].name == "odd.txt");
    CHECK(found.files[0].data == "ok");
    CHECK(found.problems ==
          std::vector<std::string>{"block 1: bytes outside the alphabet: 2",
                                   "block 1: runs with no byte to repeat: 1"});
}

TEST_CASE("the intro line is matched in any case at a line start only") {
    std::string block = hello_block.substr(intro.size());
    CHECK(find_binhex("  (THIS FILE MUST BE CONVERTED WITH BINHEX 5.0)\r\n" +
                          block,
                      8, 64)
              .files.size() == 1);
    std::string quoted = "see (This file must be converted with BinHex 4.0)\n";
    CHECK_FALSE(mime::may_hold_binhex(quoted + block));
    CHECK(find_binhex(quoted + block, 8, 64).files.empty());
}

TEST_CASE("a block without its closing colon ends at the next intro line") {
    std::string open = hqx(header("one", 3, 0) + fork_bytes("111"), false);
    auto found = find_binhex(open + hello_block, 8, 64);
    REQUIRE(found.files.size() == 2);
    CHECK(found.files[0].data == "111");
    CHECK(found.files[1].name == "hello.txt");
    CHECK(found.problems ==
          std::vector<std::string>{"block 1: no closing colon"});
}

TEST_CASE("only max_files files are returned, resource forks included") {
    std::string text = app_block + app_block + app_block;
    auto found = find_binhex(text, 3, 1 << 20);
    REQUIRE(found.files.size() == 3);
    CHECK(found.files[2].name == "app");
    CHECK(find_binhex(text, 8, 1 << 20).files.size() == 6);
}

TEST_CASE("text full of broken blocks is read in linear time") {
    std::string text;
    for (int i = 0; i < 100000; ++i)
        text += intro + ":!!:\n";
    auto began = std::chrono::steady_clock::now();
    auto found = find_binhex(text, 8, 1 << 20);
    CHECK(found.files.empty());
    CHECK(found.problems.size() == 16);
    CHECK(ms_since(began) < 2000);
}
