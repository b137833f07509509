// Structured header values: tokens, quoted strings, RFC 2231 sections
// and charsets, encoded-words in quoted values, NULs, duplicates, limits.
#include "mail/params.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace portcullis;
using mime::parse_header_value;

TEST_CASE("a content type with quoted parameters is read") {
    auto v = parse_header_value(
        "Multipart/Mixed; boundary=\"a b;c\"; charset=us-ascii");
    CHECK(v.token == "multipart/mixed");
    CHECK(v.get("boundary") == "a b;c");
    CHECK(v.get("charset") == "us-ascii");
    CHECK(v.duplicates.empty());
}

TEST_CASE("folding and comments around parameters are skipped") {
    auto v = parse_header_value(
        "text/plain (body text);\r\n\tcharset=\"iso-8859-1\"\r\n ; "
        "format=flowed");
    CHECK(v.token == "text/plain");
    CHECK(v.get("charset") == "iso-8859-1");
    CHECK(v.get("format") == "flowed");
}

TEST_CASE("a bare value keeps a vertical tab or form feed at its end") {
    auto v = parse_header_value("application/x; name= a.exe\v ;"
                                " filename=\r\n\tb.exe\f");
    CHECK(v.get("name") == "a.exe\v");
    CHECK(v.get("filename") == "b.exe\f");
}

TEST_CASE("backslash escapes inside a quoted string are undone") {
    auto v = parse_header_value(R"(attachment; filename="say \"hi\".txt")");
    CHECK(v.get("filename") == "say \"hi\".txt");
}

TEST_CASE("rfc2231 filename split across sections with a charset joins") {
    auto v = parse_header_value("attachment; filename*0*=utf-8''inv%6F;\r\n"
                                " filename*1*=ice%2E; filename*2=exe");
    CHECK(v.get("filename") == "invoice.exe");
    const mime::Parameter* p = v.find("filename");
    REQUIRE(p);
    CHECK(p->extended);
    CHECK(p->charset == "utf-8");
    CHECK(p->raw == "utf-8''inv%6Fice%2Eexe");
}

TEST_CASE("rfc2231 sections given out of order are joined in order") {
    auto v = parse_header_value("attachment; filename*1=b.exe; filename*0=a");
    CHECK(v.get("filename") == "ab.exe");
}

TEST_CASE("rfc2231 section numbers of any length are joined in order") {
    // A section numbered 10,000 or more was dropped, while other readers
    // join it: "invoice.pdf" here, "invoice.pdf.exe" for them.
    auto v = parse_header_value(
        "attachment; filename*0=invoice.pdf; filename*65535=.exe");
    CHECK(v.get("filename") == "invoice.pdf.exe");
    auto w = parse_header_value("attachment; filename*0=a; "
                                "filename*4294967296=.exe; filename*99999=b");
    CHECK(w.get("filename") == "ab.exe");
    CHECK(w.duplicates.empty());
    // Past eighteen digits every number sorts last, and two are a repeat.
    auto x = parse_header_value("attachment; filename*0=a; "
                                "filename*1234567890123456789=b; "
                                "filename*9999999999999999999=c");
    CHECK(x.duplicates.size() == 1);
}

TEST_CASE("an rfc2231 value in another charset becomes utf-8") {
    auto v =
        parse_header_value("attachment; filename*=iso-8859-1'fr'caf%E9.txt");
    CHECK(v.get("filename") == "caf\xC3\xA9.txt");
}

TEST_CASE("an rfc2231 value wrongly quoted is still decoded") {
    auto v = parse_header_value("attachment; filename*=\"utf-8''a%20b.pdf\"");
    CHECK(v.get("filename") == "a b.pdf");
}

TEST_CASE("a NUL byte in a decoded filename is kept, never truncated") {
    auto v = parse_header_value("attachment; filename*=utf-8''scan.pdf%00.exe");
    CHECK(v.get("filename") == std::string("scan.pdf\0.exe", 13));
}

TEST_CASE("an encoded-word inside a quoted filename is decoded") {
    auto v = parse_header_value(
        "attachment; filename=\"=?UTF-8?B?c3RhdGVtZW50LmV4ZQ==?=\"");
    const mime::Parameter* p = v.find("filename");
    REQUIRE(p);
    CHECK(p->value == "statement.exe");
    CHECK(p->raw == "=?UTF-8?B?c3RhdGVtZW50LmV4ZQ==?=");
}

TEST_CASE("adjacent encoded-words join across a split character") {
    // U+00E9 is C3 A9 in UTF-8, split over two Q words.
    auto v = parse_header_value(
        "attachment; filename=\"=?utf-8?Q?caf=C3?= =?utf-8?Q?=A9.doc?=\"");
    CHECK(v.get("filename") == "caf\xC3\xA9.doc");
}

TEST_CASE("a repeated parameter is reported and the first reading kept") {
    auto v = parse_header_value(
        "multipart/mixed; boundary=\"one\"; charset=x; boundary=\"two\"");
    CHECK(v.get("boundary") == "one");
    CHECK(v.find_all("boundary").size() == 2);
    REQUIRE(v.duplicates.size() == 1);
    CHECK(v.duplicates[0] == "boundary");
}

TEST_CASE("name beside name* with the same value is no duplicate") {
    auto v = parse_header_value(
        "attachment; filename=\"a.pdf\"; filename*=utf-8''a.pdf");
    CHECK(v.duplicates.empty());
    CHECK(v.get("filename") == "a.pdf");
}

TEST_CASE("name beside name* with different values is a duplicate") {
    auto v = parse_header_value(
        "attachment; filename=\"a.pdf\"; filename*=utf-8''a.exe");
    CHECK(v.duplicates.size() == 1);
    CHECK(v.get("filename") == "a.exe");
}

TEST_CASE("a repeated rfc2231 section number is a duplicate") {
    auto v = parse_header_value("attachment; filename*0=a; filename*0=b");
    CHECK(v.duplicates.size() == 1);
}

TEST_CASE("an unquoted value runs to the semicolon, spaces included") {
    auto v = parse_header_value("attachment; filename=my report.pdf ; size=3");
    CHECK(v.get("filename") == "my report.pdf");
    CHECK(v.get("size") == "3");
}

TEST_CASE("junk without an equals sign is skipped") {
    auto v = parse_header_value("text/plain; junk; ; =x; charset=utf-8");
    CHECK(v.get("charset") == "utf-8");
    CHECK(v.parameters.size() == 1);
}

TEST_CASE("an unterminated quoted string ends at the end of the value") {
    auto v = parse_header_value("attachment; filename=\"open.txt");
    CHECK(v.get("filename") == "open.txt");
}

TEST_CASE("thousands of rfc2231 sections parse in linear time and are "
          "bounded") {
    std::string text = "attachment";
    for (int i = 0; i < 9999; ++i)
        text += "; filename*" + std::to_string(i) + "=a";
    auto start = std::chrono::steady_clock::now();
    auto v = parse_header_value(text);
    auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(v.truncated);
    CHECK(v.get("filename").size() == mime::max_parameter_pieces);
    CHECK(elapsed < std::chrono::milliseconds(500));
}

TEST_CASE("a transfer encoding ends at a blank, semicolon, comma or comment") {
    using mime::read_transfer_encoding;
    for (const char* value : {"base64;", "base64,", "base64; charset=x",
                              "BASE64 junk", "base64(c)", " (c) base64"}) {
        auto encoding = read_transfer_encoding(value);
        CHECK(encoding.name == "base64");
        CHECK(encoding.odd);
    }
    CHECK(read_transfer_encoding("quoted-printable;").name ==
          "quoted-printable");
}

TEST_CASE("a bare transfer encoding token is not odd") {
    auto encoding = mime::read_transfer_encoding(" Base64\r\n");
    CHECK(encoding.name == "base64");
    CHECK_FALSE(encoding.odd);
    CHECK(mime::read_transfer_encoding("").name.empty());
    CHECK_FALSE(mime::read_transfer_encoding("").odd);
}
