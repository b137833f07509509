// The lenient MIME view: Outlook's reading of broken messages, offsets
// into the raw bytes, and the limits that keep it bounded.
#include "binhex_writer.hpp"
#include "mail/lenient_mime.hpp"
#include "mail/quoted_printable.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;
using mime::lenient::parse;

namespace {

const std::string eicar_base64 = "WDVPIVAlQEFQWzRcUFpYNTQoUF4pN0NDKTd9JEVJQ0FSL"
                                 "VNUQU5EQVJELUFOVElWSVJVUy1URVNU\n"
                                 "LUZJTEUhJEgrSCo=\n";

std::string message(const std::string& content_type, const std::string& body) {
    return "From: a@example.com\nContent-Type: " + content_type + "\n\n" + body;
}

} // namespace

TEST_CASE("the first declared boundary wins and the others are read too") {
    std::string body = "--one\n\nfirst\n--two\n\nsecond\n--two--\n--one--\n";
    auto tree =
        parse(message("multipart/mixed; boundary=one; boundary=two", body), {});
    REQUIRE(tree.parts.size() == 3);
    CHECK(tree.parts[1].decoded == "first\n--two\n\nsecond\n--two--");
    CHECK_FALSE(tree.parts[1].alternate_reading);
    CHECK(tree.parts[2].decoded == "second");
    CHECK(tree.parts[2].alternate_reading);
    CHECK(tree.has_anomaly("MIME_DUPLICATE_BOUNDARY"));
}

TEST_CASE("a missing closing boundary ends the last part at end of input") {
    auto tree = parse(message("multipart/mixed; boundary=b",
                              "--b\n\ntext\n--b\nContent-Type: application/"
                              "octet-stream\nContent-Transfer-Encoding: "
                              "base64\n\n" +
                                  eicar_base64),
                      {});
    REQUIRE(tree.parts.size() == 3);
    CHECK(tree.parts[2].decoded.size() == 68);
    CHECK(tree.has_anomaly("MIME_MISSING_CLOSE_BOUNDARY"));
}

TEST_CASE("a boundary that only shares a prefix is no delimiter") {
    auto tree = parse(message("multipart/mixed; boundary=b",
                              "--b\n\none\n--b-1\n\nstill one\n--b--\n"),
                      {});
    REQUIRE(tree.parts.size() == 2);
    CHECK(tree.parts[1].decoded == "one\n--b-1\n\nstill one");
}

TEST_CASE("a boundary written with trailing blanks finds its parts") {
    auto tree = parse(message("multipart/mixed; boundary=\"b \t\"",
                              "--b\n\none\n--b \t\n"
                              "Content-Transfer-Encoding: base64\n\n" +
                                  eicar_base64 + "--b--\n"),
                      {});
    REQUIRE(tree.parts.size() == 3);
    CHECK(tree.parts[1].decoded == "one");
    CHECK(tree.parts[2].decoded.size() == 68);
    CHECK(tree.parts[2].decoded.substr(0, 8) == "X5O!P%@A");
    CHECK(tree.anomalies.empty());
}

TEST_CASE("name stands in for a missing filename") {
    auto tree = parse(message("multipart/mixed; boundary=b",
                              "--b\nContent-Type: application/x; "
                              "name=\"readme.com\"\n\nx\n--b--\n"),
                      {});
    REQUIRE(tree.parts.size() == 2);
    CHECK(tree.parts[1].filename == "readme.com");
}

TEST_CASE("the first of two Content-Type fields is used") {
    std::string text = "Content-Type: text/plain\n"
                       "Content-Type: multipart/mixed; boundary=b\n\n"
                       "--b\n\nhidden\n--b--\n";
    auto tree = parse(text, {});
    REQUIRE(tree.parts.size() == 1);
    CHECK(tree.parts[0].content_type == "text/plain");
    CHECK(tree.has_anomaly("DUPLICATE_CONTENT_TYPE"));
}

TEST_CASE("a multipart without a boundary takes the first delimiter line") {
    auto tree = parse(message("multipart/mixed", "--x\n\nhello\n--x--\n"), {});
    REQUIRE(tree.parts.size() == 2);
    CHECK(tree.parts[1].decoded == "hello");
    CHECK(tree.has_anomaly("MIME_BOUNDARY_GUESSED"));
}

TEST_CASE("base64 skips junk and stops at padding") {
    bool garbage = false;
    CHECK(mime::lenient::decode_base64("aGV s!bG8= trailer text", garbage) ==
          "hello");
    CHECK(garbage);
    CHECK(mime::lenient::decode_base64("aGVs\r\nbG8=", garbage) == "hello");
    CHECK_FALSE(garbage);
}

TEST_CASE("quoted-printable keeps a malformed escape as it is") {
    CHECK(mime::decode_quoted_printable("a=3Db=\r\nc=ZZ=") == "a=bc=ZZ=");
}

TEST_CASE("offsets index the raw message, through message/rfc822 too") {
    std::string inner = "Content-Type: text/plain\n\ninner text";
    std::string text =
        message("multipart/mixed; boundary=b",
                "--b\nContent-Type: message/rfc822\n\n" + inner + "\n--b--\n");
    auto tree = parse(text, {});
    REQUIRE(tree.parts.size() == 3);
    const auto& leaf = tree.parts[2];
    CHECK(leaf.path == "1.1.1");
    CHECK(leaf.in_raw);
    CHECK(text.substr(leaf.body_begin, leaf.body_end - leaf.body_begin) ==
          "inner text");
    CHECK(text.substr(tree.parts[1].header_begin, 13) == "Content-Type:");
}

TEST_CASE("an encoded message/rfc822 has parts outside the raw bytes") {
    std::string text = message("message/rfc822", "");
    text.insert(text.find("\n\n"), "\nContent-Transfer-Encoding: base64");
    text += "Q29udGVudC1UeXBlOiB0ZXh0L3BsYWluCgpoaQ==\n";
    auto tree = parse(text, {});
    REQUIRE(tree.parts.size() == 2);
    CHECK(tree.parts[1].decoded == "hi");
    CHECK_FALSE(tree.parts[1].in_raw);
}

TEST_CASE("each type that holds a message is read inside in any case") {
    std::string type =
        GENERATE(std::string("message/global"), std::string("message/news"),
                 std::string("message/rfc2822"), std::string("Message/RFC822"));
    std::string text =
        message("multipart/mixed; boundary=b",
                "--b\nContent-Type: " + type +
                    "\n\nContent-Type: text/plain\n\ninner text\n--b--\n");
    auto tree = parse(text, {});
    REQUIRE(tree.parts.size() == 3);
    CHECK(tree.parts[1].is_message);
    CHECK(tree.parts[2].path == "1.1.1");
    CHECK(tree.parts[2].decoded == "inner text");
}

TEST_CASE("a uuencoded message/rfc822 is decoded and read inside") {
    // "Content-Type: text/plain\n\nhi", uuencoded by a reference encoder.
    std::string text = message("message/rfc822", "");
    text.insert(text.find("\n\n"), "\nContent-Transfer-Encoding: x-uuencode");
    text += "begin 644 forward.eml\n"
            "<0V]N=&5N=\"U4>7!E.B!T97AT+W!L86EN\"@IH:0  \n`\nend\n";
    auto tree = parse(text, {});
    REQUIRE(tree.parts.size() == 2);
    CHECK(tree.parts[1].content_type == "text/plain");
    CHECK(tree.parts[1].decoded == "hi");
    CHECK_FALSE(tree.parts[1].in_raw);
}

TEST_CASE("a uuencoded body is decoded no further than the decoded limit") {
    // 45 bytes a line, 2,000 lines: 90,000 bytes were decoded, then cut.
    std::string text = message("application/octet-stream", "");
    text.insert(text.find("\n\n"), "\nContent-Transfer-Encoding: x-uuencode");
    text += "begin 644 big.bin\n";
    std::string line = "M" + std::string(60, '!') + "\n"; // 45 bytes
    for (int i = 0; i < 2000; ++i)
        text += line;
    text += "`\nend\n";
    Limits limits;
    limits.decoded_bytes = 100;
    auto whole = parse(text, {});
    REQUIRE(whole.parts.size() == 1);
    CHECK(whole.parts[0].decoded.size() == 90000);
    auto tree = parse(text, limits);
    REQUIRE(tree.parts.size() == 1);
    CHECK(tree.parts[0].decoded == whole.parts[0].decoded.substr(0, 100));
    CHECK(tree.has_anomaly("DECODED_SIZE_LIMIT"));
}

TEST_CASE("nesting deeper than the limit stops the parse with a flag") {
    std::string text = "Content-Type: text/plain\n\nbottom";
    for (int i = 0; i < 100; ++i)
        text = "Content-Type: message/rfc822\n\n" + text;
    Limits limits;
    limits.mime_depth = 8;
    auto tree = parse(text, limits);
    CHECK(tree.limit_hit);
    CHECK(tree.has_anomaly("MIME_NESTING_TOO_DEEP"));
    CHECK(tree.parts.size() == 9);
}

TEST_CASE("more parts than the limit stops the parse with a flag") {
    std::string body;
    for (int i = 0; i < 50; ++i)
        body += "--b\n\npart\n";
    Limits limits;
    limits.mime_parts = 10;
    auto tree = parse(message("multipart/mixed; boundary=b", body), limits);
    CHECK(tree.limit_hit);
    CHECK(tree.parts.size() == 10);
}

TEST_CASE("many boundaries on nested multiparts stay within the budget") {
    // Each level declares four boundaries: read naively, every level
    // would multiply the work by four.
    std::string text = "inner";
    for (int i = 0; i < 12; ++i)
        text = "Content-Type: multipart/mixed; boundary=a; boundary=b; "
               "boundary=c; boundary=d\n\n--a\n--b\n--c\n--d\n" +
               text + "\n--a--\n";
    auto tree = parse(text, {});
    CHECK(tree.parts.size() <= 1000);
}

TEST_CASE("mangled messages never put offsets outside the raw bytes") {
    // Truncations and byte flips of a message with every construct the
    // parser knows: whatever comes out, the ranges that clean splices
    // must stay inside the message.
    std::string base =
        "Content-Type: multipart/mixed; boundary=a; boundary=b\r\n\r\n"
        "--a\r\nContent-Type: message/rfc822\r\n\r\n"
        "Content-Type: multipart/alternative; boundary=c\r\n\r\n"
        "--c\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nx=3Dy=\r\n"
        "--c\r\nContent-Type: text/plain\r\n\r\nbegin 644 a.com\r\n#0D%$\r\n"
        "`\r\nend\r\n--c--\r\n--b\r\nContent-Transfer-Encoding: base64\r\n"
        "\r\n" +
        eicar_base64 + "--a--\r\n";
    uint32_t seed = 12345;
    auto next = [&] {
        seed = seed * 1103515245 + 12345;
        return seed >> 8;
    };
    const char flips[] = {'-', '\r', '\n', ':', ';', '=', ' ', 'b', '"'};
    for (int round = 0; round < 3000; ++round) {
        std::string text = base.substr(0, next() % (base.size() + 1));
        for (int k = 0; k < 4 && !text.empty(); ++k)
            text[next() % text.size()] = flips[next() % sizeof flips];
        auto tree = parse(text, {});
        for (const auto& part : tree.parts) {
            if (!part.in_raw || part.origin != mime::Origin::mime)
                continue;
            REQUIRE(part.header_begin <= part.body_begin);
            REQUIRE(part.body_begin <= part.body_end);
            REQUIRE(part.body_end <= text.size());
        }
    }
}

TEST_CASE("a part's header block keeps only the fields within the limits, "
          "and its body is found after the rest") {
    Limits limits;
    limits.header_fields = 2;
    std::string body = "--b\nContent-Type: application/octet-stream\n"
                       "Content-Transfer-Encoding: base64\nX-A: 1\n  more\n"
                       "X-B: 2\n\n" +
                       eicar_base64 + "--b--\n";
    auto tree = parse(message("multipart/mixed; boundary=b", body), limits);
    REQUIRE(tree.parts.size() == 2);
    CHECK(tree.parts[1].content_type == "application/octet-stream");
    CHECK(tree.parts[1].decoded.substr(0, 5) == "X5O!P");
    CHECK(tree.has_anomaly("HEADER_BLOCK_TOO_LARGE"));
    CHECK(tree.limit_hit);
}

TEST_CASE("both forks of a BinHex block in text are parts of their own") {
    using namespace test::binhex;
    std::string block =
        hqx(header("app", 4, 6) + fork_bytes("data") + fork_bytes("MZrsrc"));
    auto tree = parse(message("text/plain", "here:\n" + block), {});
    REQUIRE(tree.parts.size() == 3);
    CHECK(tree.parts[1].path == "1.b1");
    CHECK(tree.parts[1].origin == mime::Origin::binhex);
    CHECK(tree.parts[1].filename == "app");
    CHECK(tree.parts[1].decoded == "data");
    CHECK(tree.parts[2].path == "1.b2");
    CHECK(tree.parts[2].filename == "app.rsrc");
    CHECK(tree.parts[2].decoded == "MZrsrc");
    CHECK_FALSE(tree.limit_hit);
}

TEST_CASE("the file in an application/mac-binhex40 attachment is a part") {
    using namespace test::binhex;
    std::string block = hqx(header("setup.exe", 2, 0) + fork_bytes("MZ"));
    auto tree = parse(message("application/mac-binhex40", block), {});
    REQUIRE(tree.parts.size() == 2);
    CHECK(tree.parts[1].path == "1.b1");
    CHECK(tree.parts[1].filename == "setup.exe");
    CHECK(tree.parts[1].decoded == "MZ");
}

TEST_CASE("BinHex runs are held to the lenient decoded budget") {
    std::string text = test::binhex::hqx(test::binhex::bomb(10000));
    Limits limits;
    limits.decoded_bytes = 1 << 20;
    limits.expansion_ratio = 1000;
    auto tree = parse(message("text/plain", text), limits);
    REQUIRE(tree.parts.size() == 2);
    CHECK(tree.parts[1].decoded.size() == (1u << 20) - text.size());
    CHECK(tree.parts[0].anomalies ==
          std::vector<std::string>{"DECODED_SIZE_LIMIT"});
    CHECK(tree.limit_hit);
    // Left at 4, the expansion limit cuts first, as in the strict view.
    tree = parse(message("text/plain", text), Limits{});
    REQUIRE(tree.parts.size() == 2);
    CHECK(tree.parts[1].decoded.size() < 4 * text.size());
    CHECK(tree.parts[1].decoded.size() > 3 * text.size());
    CHECK(tree.limit_hit);
}
