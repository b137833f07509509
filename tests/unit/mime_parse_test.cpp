// The Tree that other tools read: header instances kept and unfolded,
// parts in depth-first order, anomalies on parts and on the message.
#include "binhex_writer.hpp"
#include "core/watchdog.hpp"
#include "mail/mime.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;

namespace {

mime::Tree parse_ok(const std::string& text, const Limits& limits = {}) {
    auto tree = mime::parse(text, limits);
    REQUIRE(tree.ok());
    return std::move(*tree);
}

// From: x@example.org / Subject: inner / a multipart holding a.js, in
// base64.
const std::string encoded_inner =
    "RnJvbTogeEBleGFtcGxlLm9yZw0KU3ViamVjdDogaW5uZXINCkNvbnRlbnQtVHlw\r\n"
    "ZTogbXVsdGlwYXJ0L21peGVkOyBib3VuZGFyeT1pDQoNCi0taQ0KQ29udGVudC1U\r\n"
    "eXBlOiB0ZXh0L3BsYWluDQoNCmhlbGxvDQotLWkNCkNvbnRlbnQtVHlwZTogYXBw\r\n"
    "bGljYXRpb24vb2N0ZXQtc3RyZWFtOyBuYW1lPWEuanMNCg0KcnVuKCkNCi0taS0t\r\n"
    "DQo=\r\n";

// A multipart holding a message/rfc822 part sent with the given
// Content-Transfer-Encoding field value(s) and body, and a text part.
std::string forwarding(const std::string& encoding, const std::string& body) {
    return "Content-Type: multipart/mixed; boundary=o\r\n\r\n"
           "--o\r\nContent-Type: message/rfc822\r\n"
           "Content-Transfer-Encoding: " +
           encoding + "\r\n\r\n" + body +
           "--o\r\nContent-Type: text/plain\r\n\r\nafter\r\n--o--\r\n";
}

} // namespace

TEST_CASE("both instances of a repeated From header are kept") {
    auto tree = parse_ok("From: one@example.com\r\nFrom: two@example.net\r\n"
                         "Subject: x\r\n\r\nbody\r\n");
    CHECK(tree.header_all("from") ==
          std::vector<std::string>{"one@example.com", "two@example.net"});
    CHECK(tree.has_anomaly("MULTIPLE_FROM_HEADERS"));
}

TEST_CASE("header values are unfolded and trimmed") {
    auto tree = parse_ok("Subject: a long\r\n  folded subject \r\n\r\nx\r\n");
    CHECK(tree.header("Subject") == "a long  folded subject");
    CHECK(tree.subject == "a long  folded subject");
}

TEST_CASE("a NUL in a header value hides nothing after it") {
    using namespace std::string_literals;
    auto tree = parse_ok("Subject: one\0 two\r\n folded\r\n"
                         "Content-Type: text/plain; name=\"a.\0js\"\r\n"
                         "\r\nbody\r\n"s);
    CHECK(tree.header("Subject") == "one\0 two folded"s);
    CHECK(tree.subject == "one two folded");
    CHECK(tree.parts[0].name == "a.\0js"s);
    CHECK(tree.has_anomaly("NUL_IN_FILENAME"));
}

TEST_CASE("an encoded subject is decoded with zero-width characters "
          "removed") {
    auto tree = parse_ok("Subject: =?utf-8?q?fr=E2=80=8Bee?=\r\n\r\nbody\r\n");
    CHECK(tree.subject == "free");
    CHECK(tree.has_anomaly("ZERO_WIDTH_CHARS"));
}

TEST_CASE("parts come depth first with decoded leaves") {
    auto tree =
        parse_ok("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
                 "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
                 "--b\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\n"
                 "Content-Transfer-Encoding: base64\r\n\r\naGk=\r\n--b--\r\n");
    REQUIRE(tree.parts.size() == 3);
    CHECK(tree.parts[0].is_multipart);
    CHECK(tree.parts[0].boundary == "b");
    CHECK(tree.parts[1].decoded == "hello");
    CHECK(tree.parts[2].decoded == "hi");
    CHECK(tree.parts[2].is_attachment);
    CHECK(tree.parts[2].display_name() == "a.pdf");
    CHECK(tree.anomalies.empty());
}

TEST_CASE("quoted-printable soft line breaks may carry blanks a transport "
          "added") {
    // RFC 2045 section 6.7: trailing blanks are deleted, so "= " at a
    // line's end is a soft break. GMime kept "= ", and a word split
    // there passed the word lists (break test).
    auto tree = parse_ok("Content-Type: text/plain\r\n"
                         "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                         "conf= \t\r\nidential=3D=3d =ZZ caf=C3=A9=\r\n"
                         "s\r\n");
    REQUIRE(tree.parts.size() == 1);
    CHECK(tree.parts[0].decoded == "confidential== =ZZ caf\xC3\xA9s\r\n");
}

TEST_CASE("a uuencoded file becomes a child part after its text part") {
    auto tree = parse_ok("Content-Type: text/plain\r\n\r\nsee\r\n"
                         "begin 600 a.txt\r\n#86)C\r\n`\r\nend\r\n");
    REQUIRE(tree.parts.size() == 2);
    CHECK(tree.parts[1].path == "1.1");
    CHECK(tree.parts[1].origin == mime::Origin::uuencode);
    CHECK(tree.parts[1].filename == "a.txt");
    CHECK(tree.parts[1].decoded == "abc");
}

TEST_CASE("content_name_and_x_sun_data_name_name_a_part") {
    auto tree = parse_ok("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
                         "--b\r\nContent-Type: application/octet-stream\r\n"
                         "Content-Name: =?utf-8?q?a=2Ejs?=\r\n"
                         "X-Sun-Data-Name: b.vbs\r\n\r\nx\r\n"
                         "--b\r\nContent-Type: text/plain; name=c.txt\r\n"
                         "Content-Name: c.exe\r\n\r\ny\r\n--b--\r\n");
    REQUIRE(tree.parts.size() == 3);
    CHECK(tree.parts[1].legacy_names ==
          std::vector<std::string>{"a.js", "b.vbs"});
    CHECK(tree.parts[1].display_name() == "a.js");
    CHECK(tree.parts[1].is_attachment);
    CHECK(tree.parts[2].display_name() == "c.txt");
    CHECK(tree.parts[2].legacy_names == std::vector<std::string>{"c.exe"});
}

TEST_CASE("every value of a repeated filename or name is kept") {
    auto tree = parse_ok(
        "Content-Type: application/pdf; name=\"a.pdf\"; name=\"a.js\"\r\n"
        "Content-Disposition: attachment; filename=\"a.exe\"\r\n"
        "Content-Disposition: attachment; filename=\"a.pdf\"; "
        "filename=\"a.pdf.scr\"\r\n\r\nbody\r\n");
    REQUIRE(tree.parts.size() == 1);
    const mime::Part& part = tree.parts[0];
    CHECK(part.filename == "a.pdf");
    CHECK(part.name == "a.pdf");
    CHECK(part.other_names ==
          std::vector<std::string>{"a.exe", "a.pdf.scr", "a.js"});
    CHECK(tree.has_anomaly("MIME_DUPLICATE_PARAMETER"));
    CHECK(tree.has_anomaly("DOUBLE_EXTENSION"));
}

TEST_CASE("an empty message is an error, not a tree") {
    auto tree = mime::parse("\r\n", {});
    REQUIRE(!tree.ok());
    CHECK(tree.error().text() == "mime: empty message");
}

TEST_CASE("the decoded size limit truncates and marks the limit hit") {
    Limits limits;
    limits.decoded_bytes = 4;
    auto tree =
        parse_ok("Content-Type: text/plain\r\n\r\n0123456789\r\n", limits);
    CHECK(tree.parts[0].decoded == "0123");
    CHECK(tree.limit_hit);
    CHECK(tree.has_anomaly("DECODED_SIZE_LIMIT"));
}

TEST_CASE("files found inside a part count toward the decoded size "
          "limit") {
    // The first text is 32 bytes and holds "hello\n" uuencoded; the
    // limit leaves the second text its 12 bytes only if the file inside
    // the first were free.
    std::string first = "begin 644 a\r\n&:&5L;&\\*\r\n`\r\nend\r\n";
    REQUIRE(first.size() == 32);
    Limits limits;
    limits.decoded_bytes = 32 + 12;
    auto tree = parse_ok("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
                         "--b\r\nContent-Type: text/plain\r\n\r\n" +
                             first +
                             "\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
                             "0123456789\r\n\r\n--b--\r\n",
                         limits);
    REQUIRE(tree.parts.size() == 4);
    CHECK(tree.parts[2].decoded == "hello\n");
    CHECK(tree.parts[3].decoded == "012345");
    CHECK(tree.parts[3].anomalies ==
          std::vector<std::string>{"DECODED_SIZE_LIMIT"});
}

TEST_CASE("a BinHex file in text is a part and its damage a notice") {
    using namespace test::binhex;
    std::string block = hqx(header("bad.exe", 4, 0, false) + "MZ!!\x12\x34");
    auto tree = parse_ok("Content-Type: text/plain\n\nsee:\n" + block);
    REQUIRE(tree.parts.size() == 2);
    CHECK(tree.parts[1].origin == mime::Origin::binhex);
    CHECK(tree.parts[1].filename == "bad.exe");
    CHECK(tree.parts[1].decoded == "MZ!!");
    CHECK(tree.parts[1].is_attachment);
    CHECK(tree.parts[0].anomalies ==
          std::vector<std::string>{"BINHEX_MALFORMED"});
    REQUIRE(tree.anomalies.size() == 2);
    CHECK(tree.anomalies[0].detail == "block 1: header crc mismatch");
    CHECK(tree.anomalies[1].detail == "block 1: data fork crc mismatch");
    CHECK_FALSE(tree.limit_hit);
}

TEST_CASE("BinHex runs are held to the decoded size limit") {
    // 10000 runs in 27 kB of text claim 2.5 MB; the limit leaves 1 MiB
    // less the text.
    std::string text = test::binhex::hqx(test::binhex::bomb(10000));
    Limits limits;
    limits.decoded_bytes = 1 << 20;
    limits.expansion_ratio = 1000;
    auto tree = parse_ok("Content-Type: text/plain\n\n" + text, limits);
    REQUIRE(tree.parts.size() == 2);
    CHECK(tree.parts[1].decoded.size() == (1u << 20) - text.size());
    CHECK(tree.parts[0].anomalies ==
          std::vector<std::string>{"DECODED_SIZE_LIMIT"});
    CHECK(tree.anomalies[0].detail == "limit 1048576");
    CHECK(tree.limit_hit);
}

TEST_CASE("BinHex runs are held to four times their block by default") {
    // The same 27 kB claim 2.5 MB, under a decoded limit of 512 MiB: the
    // file is cut at four times its block, and the verdict says which
    // limit cut it.
    std::string text = test::binhex::hqx(test::binhex::bomb(10000));
    size_t open = text.find(':') + 1;
    size_t block = text.find(':', open) - open;
    auto tree = parse_ok("Content-Type: text/plain\n\n" + text, Limits{});
    REQUIRE(tree.parts.size() == 2);
    CHECK(tree.parts[1].decoded.size() == 4 * block);
    REQUIRE(tree.anomalies.size() == 1);
    CHECK(tree.anomalies[0].id == "DECODED_SIZE_LIMIT");
    CHECK(tree.anomalies[0].detail == "expansion limit 4");
    CHECK(tree.limit_hit);
}

TEST_CASE("a header block of too many fields is cut before parsing and "
          "its body is still read") {
    Limits limits;
    limits.header_fields = 3;
    auto tree = parse_ok("From: a@example.org\r\nSubject: s\r\n"
                         "X-One: 1\r\n  folded\r\nX-Two: 2\r\n"
                         "Content-Type: text/html\r\n\r\nthe body\r\n",
                         limits);
    REQUIRE(tree.headers.size() == 3);
    CHECK(tree.header("X-One") == "1  folded");
    CHECK(tree.header("X-Two").empty());
    CHECK(tree.parts.at(0).content_type == "text/plain");
    CHECK(tree.parts.at(0).decoded == "the body\r\n");
    REQUIRE(tree.anomalies.size() == 1);
    CHECK(tree.anomalies[0].id == "HEADER_BLOCK_TOO_LARGE");
    CHECK(tree.anomalies[0].detail == "1 block over the limit of 3 fields");
    CHECK(tree.limit_hit);
}

TEST_CASE("a part's header block of too many fields is cut before "
          "parsing, and the parts after it are still read") {
    Limits limits;
    limits.header_fields = 3;
    auto tree =
        parse_ok("From: a@example.org\r\nContent-Type: multipart/mixed; "
                 "boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/html\r\n"
                 "X-A: 1\r\nX-B: 2\r\nX-C: 3\r\n\r\n<p>first</p>\r\n"
                 "--b1\r\nContent-Type: text/plain\r\n\r\nsecond\r\n--b1--\r\n",
                 limits);
    REQUIRE(tree.parts.size() == 3);
    CHECK(tree.parts[1].content_type == "text/html");
    CHECK(tree.parts[1].decoded == "<p>first</p>");
    CHECK(tree.parts[2].decoded == "second");
    CHECK(tree.has_anomaly("HEADER_BLOCK_TOO_LARGE"));
    CHECK(tree.limit_hit);
}

TEST_CASE("an embedded message's header block is bounded like the "
          "message's own") {
    Limits limits;
    limits.header_fields = 3;
    std::string many;
    for (int i = 0; i < 50; ++i)
        many += "X-Filler: " + std::to_string(i) + "\r\n";
    auto tree = parse_ok(
        "From: a@example.org\r\nContent-Type: multipart/mixed; "
        "boundary=b2\r\n\r\n--b2\r\nContent-Type: message/rfc822\r\n\r\n"
        "From: inner@example.org\r\nSubject: inner\r\n" +
            many + "\r\ninner body\r\n--b2--\r\n",
        limits);
    CHECK(tree.has_anomaly("HEADER_BLOCK_TOO_LARGE"));
    bool inner_body = std::any_of(
        tree.parts.begin(), tree.parts.end(),
        [](const mime::Part& p) { return p.decoded == "inner body"; });
    CHECK(inner_body);
}

TEST_CASE("body lines that look like header fields are never cut") {
    Limits limits;
    limits.header_fields = 3;
    std::string body = "--\r\nkey: 1\r\nkey: 2\r\nkey: 3\r\nkey: 4\r\n"
                       "--b3--x\r\nkey: 5\r\nkey: 6\r\nkey: 7\r\n";
    auto tree =
        parse_ok("From: a@example.org\r\nContent-Type: multipart/mixed; "
                 "boundary=b3\r\n\r\n--b3\r\nContent-Type: text/plain\r\n\r\n" +
                     body + "--b3--\r\n",
                 limits);
    REQUIRE(tree.parts.size() == 2);
    CHECK(tree.parts[1].decoded == body.substr(0, body.size() - 2));
    CHECK(!tree.has_anomaly("HEADER_BLOCK_TOO_LARGE"));
}

TEST_CASE("a header block over its byte limit keeps the whole fields "
          "within it") {
    Limits limits;
    limits.header_block_bytes = 40;
    auto tree = parse_ok("From: a@example.org\r\nSubject: s\r\n"
                         "X-Long: a value that crosses the limit\r\n"
                         "\r\nbody\r\n",
                         limits);
    REQUIRE(tree.headers.size() == 2);
    CHECK(tree.header("Subject") == "s");
    CHECK(tree.parts.at(0).decoded == "body\r\n");
    CHECK(tree.has_anomaly("HEADER_BLOCK_TOO_LARGE"));
}

TEST_CASE("blanks that end a quoted boundary are dropped, in a folded "
          "Content-Type too, and nowhere else") {
    auto tree = parse_ok("Subject: boundary=\"keep \"\r\n"
                         "Content-Type: multipart/mixed;\r\n"
                         " boundary=\"b4 \t\"\r\n\r\n"
                         "--b4\r\nContent-Type: text/plain\r\n\r\none\r\n"
                         "--b4 \r\nContent-Type: text/plain\r\n\r\ntwo\r\n"
                         "--b4--\r\n");
    REQUIRE(tree.parts.size() == 3);
    CHECK(tree.parts[0].boundary == "b4");
    CHECK(tree.parts[2].decoded == "two");
    CHECK(tree.header("Subject") == "boundary=\"keep \"");
    CHECK(tree.anomalies.empty());
}

TEST_CASE("a multipart whose body holds no part GMime found is flagged, "
          "and an empty one is not") {
    auto tree = parse_ok("Content-Type: multipart/mixed; boundary=b5\r\n"
                         "\r\n--other\r\nContent-Type: text/plain\r\n\r\n"
                         "hidden\r\n--other--\r\n");
    REQUIRE(tree.parts.size() == 1);
    CHECK(tree.parts[0].anomalies ==
          std::vector<std::string>{"MIME_MISSING_CLOSE_BOUNDARY",
                                   "MIME_MULTIPART_NO_PARTS"});
    auto nested = parse_ok(
        "Content-Type: multipart/mixed; boundary=b6\r\n\r\n"
        "--b6\r\nContent-Type: multipart/mixed; boundary=b7\r\n\r\n"
        "a line\r\n--b6\r\nContent-Type: text/plain\r\n\r\nx\r\n--b6--\r\n");
    REQUIRE(nested.parts.size() == 3);
    CHECK(nested.parts[1].anomalies ==
          std::vector<std::string>{"MIME_MISSING_CLOSE_BOUNDARY",
                                   "MIME_MULTIPART_NO_PARTS"});
    auto empty = parse_ok("Content-Type: multipart/mixed; boundary=b8\r\n"
                          "\r\n \r\n--b8--\r\n");
    CHECK(empty.anomalies.empty());
}

TEST_CASE("an encoded attached message is decoded and read like any "
          "attached message") {
    const std::string& inner = encoded_inner;
    auto tree = parse_ok("Content-Type: multipart/mixed; boundary=o\r\n\r\n"
                         "--o\r\nContent-Type: message/rfc822\r\n"
                         "Content-Transfer-Encoding: base64\r\n\r\n" +
                         inner + "--o--\r\n");
    REQUIRE(tree.parts.size() == 5);
    const mime::Part& message = tree.parts[1];
    CHECK(message.is_message);
    CHECK(message.decoded.empty());
    CHECK(message.subject == "inner");
    CHECK(message.anomalies ==
          std::vector<std::string>{"MIME_ENCODED_MESSAGE"});
    CHECK(tree.parts[2].path == "1.1.1");
    CHECK(tree.parts[2].is_multipart);
    CHECK(tree.parts[3].decoded == "hello");
    CHECK(tree.parts[4].path == "1.1.1.2");
    CHECK(tree.parts[4].display_name() == "a.js");
    CHECK(tree.parts[4].decoded == "run()");
    CHECK(tree.anomalies.size() == 1);

    SECTION("its base64 lines are no header block, and its own header "
            "block is bounded") {
        Limits limits;
        limits.header_fields = 2;
        auto bounded =
            parse_ok("Content-Type: multipart/mixed; boundary=o\r\n\r\n"
                     "--o\r\nContent-Type: message/rfc822\r\n"
                     "Content-Transfer-Encoding: base64\r\n\r\n" +
                         inner + "--o--\r\n",
                     limits);
        REQUIRE(bounded.parts.size() == 3);
        CHECK(bounded.parts[2].path == "1.1.1");
        CHECK(bounded.parts[2].content_type == "text/plain");
        CHECK(bounded.parts[2].anomalies ==
              std::vector<std::string>{"HEADER_BLOCK_TOO_LARGE"});
    }

    SECTION("past the depth limit it stays a leaf of its decoded bytes") {
        Limits limits;
        limits.mime_depth = 1;
        auto deep = parse_ok("Content-Type: multipart/mixed; boundary=o\r\n\r\n"
                             "--o\r\nContent-Type: message/rfc822\r\n"
                             "Content-Transfer-Encoding: base64\r\n\r\n" +
                                 inner + "--o--\r\n",
                             limits);
        REQUIRE(deep.parts.size() == 2);
        CHECK(!deep.parts[1].is_message);
        CHECK(deep.parts[1].decoded.starts_with("From: x@example.org"));
        CHECK(deep.has_anomaly("MIME_NESTING_TOO_DEEP"));
    }
}

TEST_CASE("an attached message whose encoding GMime reads as none is "
          "decoded by this view's reading") {
    // GMime ends the name at a blank only, and reads the first of two
    // fields; this view ends it at `;`, `,` or `(` too, and reads the last.
    for (std::string encoding :
         {"base64;", "base64, x", "(c) base64", "base64(c)",
          "7bit\r\nContent-Transfer-Encoding: base64", "\r\n base64;"}) {
        CAPTURE(encoding);
        auto tree = parse_ok(forwarding(encoding, encoded_inner));
        REQUIRE(tree.parts.size() == 6);
        const mime::Part& message = tree.parts[1];
        CHECK(message.is_message);
        CHECK(message.decoded.empty());
        CHECK(message.subject == "inner");
        CHECK(message.transfer_encoding == "base64");
        CHECK(tree.has_anomaly("MIME_ENCODED_MESSAGE"));
        CHECK(tree.parts[2].path == "1.1.1");
        CHECK(tree.parts[3].decoded == "hello");
        CHECK(tree.parts[4].display_name() == "a.js");
        CHECK(tree.parts[4].decoded == "run()");
        CHECK(tree.parts[5].path == "1.2");
        CHECK(tree.parts[5].decoded == "after");
    }
}

TEST_CASE("an attached message under `base64;` is bounded as under "
          "`base64`, and the field telling GMime its encoding is unseen") {
    Limits limits;
    limits.header_fields = 2;
    auto plain = parse_ok(forwarding("base64", encoded_inner), limits);
    auto semi = parse_ok(forwarding("base64;", encoded_inner), limits);
    REQUIRE(semi.parts.size() == 4);
    REQUIRE(plain.parts.size() == 4);
    for (size_t i = 0; i < semi.parts.size(); ++i) {
        CAPTURE(i);
        CHECK(semi.parts[i].path == plain.parts[i].path);
        CHECK(semi.parts[i].content_type == plain.parts[i].content_type);
        CHECK(semi.parts[i].decoded == plain.parts[i].decoded);
    }
    CHECK(semi.parts[1].anomalies ==
          std::vector<std::string>{"MALFORMED_CTE", "MIME_ENCODED_MESSAGE"});
    CHECK(semi.parts[2].anomalies ==
          std::vector<std::string>{"HEADER_BLOCK_TOO_LARGE"});
    CHECK(semi.parts[3].decoded == "after");

    SECTION("in the message's own header block") {
        auto whole = parse_ok("Content-Type: message/rfc822\r\n"
                              "Content-Transfer-Encoding: base64;\r\n\r\n" +
                              encoded_inner);
        CHECK(whole.header_all("Content-Transfer-Encoding") ==
              std::vector<std::string>{"base64;"});
        CHECK(
            whole.parts[0].anomalies ==
            std::vector<std::string>{"MALFORMED_CTE", "MIME_ENCODED_MESSAGE"});
    }
}

TEST_CASE("an attached message under `quoted-printable;` is decoded and "
          "read") {
    auto tree = parse_ok(
        forwarding("quoted-printable;",
                   "Subject: in=\r\nner\r\nContent-Type: multipart/mixed; "
                   "boundary=3D\"i\"\r\n\r\n--i\r\nContent-Type: text/plain; "
                   "name=3Da.js\r\n\r\nrun()\r\n--i--\r\n\r\n"));
    REQUIRE(tree.parts.size() == 5);
    CHECK(tree.parts[1].subject == "inner");
    CHECK(tree.parts[3].display_name() == "a.js");
    CHECK(tree.parts[3].decoded == "run()");
    CHECK(tree.parts[4].decoded == "after");
}

TEST_CASE("a whole message of type message/rfc822 under `base64;` is "
          "decoded and read") {
    auto tree = parse_ok("Content-Type: message/rfc822\r\n"
                         "Content-Transfer-Encoding: base64;\r\n\r\n" +
                         encoded_inner);
    REQUIRE(tree.parts.size() == 4);
    CHECK(tree.parts[0].is_message);
    CHECK(tree.parts[0].subject == "inner");
    CHECK(tree.parts[3].path == "1.1.2");
    CHECK(tree.parts[3].decoded == "run()");
}

TEST_CASE("an encoded message/rfc2822, GMime's other name for "
          "message/rfc822, is read too") {
    for (std::string encoding : {"base64", "base64;"}) {
        CAPTURE(encoding);
        std::string text = forwarding(encoding, encoded_inner);
        text.replace(text.find("rfc822"), 6, "rfc2822");
        auto tree = parse_ok(text);
        REQUIRE(tree.parts.size() == 6);
        CHECK(tree.parts[1].is_message);
        CHECK(tree.parts[4].display_name() == "a.js");
    }
}

TEST_CASE("an attached message under `base64;` past the depth limit stays "
          "a leaf of its decoded bytes") {
    Limits limits;
    limits.mime_depth = 1;
    auto deep = parse_ok(forwarding("base64;", encoded_inner), limits);
    REQUIRE(deep.parts.size() == 3);
    CHECK(!deep.parts[1].is_message);
    CHECK(deep.parts[1].decoded.starts_with("From: x@example.org"));
    CHECK(deep.parts[2].decoded == "after");
    CHECK(deep.has_anomaly("MIME_NESTING_TOO_DEEP"));
}

TEST_CASE("a uuencoded attached message is read from its decoded bytes, "
          "and its encoded lines are no header block") {
    // "From: x@example.org\r\nSubject: inner\r\n\r\nhello\r\n"
    const std::string uuencoded =
        "begin 644 inner.eml\r\n"
        R"(M1G)O;3H@>$!E>&%M<&QE+F]R9PT*4W5B:F5C=#H@:6YN97(-"@T*:&5L;&\-)"
        "\r\n"
        R"(!"@``)"
        "\r\n`\r\nend\r\n";
    for (std::string encoding : {"x-uuencode", "x-uuencode;"}) {
        CAPTURE(encoding);
        auto tree = parse_ok(forwarding(encoding, uuencoded));
        REQUIRE(tree.parts.size() == 4);
        CHECK(tree.parts[1].subject == "inner");
        CHECK(tree.parts[2].decoded == "hello\r\n");
        CHECK_FALSE(tree.has_anomaly("HEADER_LINE_MALFORMED"));
    }
}

TEST_CASE("a message whose deadline has passed fails with a time limit "
          "error") {
    set_deadline(std::chrono::steady_clock::now() - std::chrono::seconds(1));
    auto tree = mime::parse("From: a@example.org\r\n\r\nbody\r\n", {});
    clear_deadline();
    REQUIRE_FALSE(tree.ok());
    CHECK(tree.error().text() == "mime: the time limit passed");
    CHECK(tree.error().exit_code == ExitCode::temp_fail);
    CHECK(mime::parse("From: a@example.org\r\n\r\nbody\r\n", {}).ok());
}
