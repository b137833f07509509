// Cleaning by splicing: only the removed part's bytes change, in the
// message's own line endings, and quarantine names are safe.
#include "av_actions.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;

namespace {

const std::string mixed = "Subject: x\r\n"
                          "Content-Type: multipart/mixed; boundary=b\r\n"
                          "\r\n"
                          "--b\r\n"
                          "\r\n"
                          "keep me\r\n"
                          "--b\r\n"
                          "Content-Type: application/octet-stream; "
                          "name=bad.com\r\n"
                          "\r\n"
                          "BAD\r\n"
                          "--b\r\n"
                          "\r\n"
                          "keep me too\r\n"
                          "--b--\r\n";

} // namespace

TEST_CASE("clean replaces one part and keeps every other byte") {
    auto tree = mime::lenient::parse(mixed, {});
    REQUIRE(tree.parts.size() == 4);
    auto out = av::clean_message(mixed, tree, {{2, "infected (Test)"}});
    REQUIRE(out.ok());
    std::string expected =
        mixed.substr(0, mixed.find("Content-Type: application")) +
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "Content-Disposition: inline\r\n\r\n"
        "This part was removed by av-scan.\r\n"
        "Part: 1.2\r\nFile: bad.com\r\nReason: infected (Test)" +
        mixed.substr(mixed.find("\r\n--b\r\n\r\nkeep me too"));
    CHECK(*out == expected);
}

TEST_CASE("clean writes LF line ends into an LF message") {
    std::string lf;
    for (char c : mixed) {
        if (c != '\r')
            lf += c;
    }
    auto tree = mime::lenient::parse(lf, {});
    auto out = av::clean_message(lf, tree, {{2, "infected (Test)"}});
    REQUIRE(out.ok());
    CHECK(out->find('\r') == std::string::npos);
    CHECK(out->find("keep me too\n--b--\n") != std::string::npos);
}

TEST_CASE("a single-part message keeps its headers and gets the notice") {
    std::string text = "Subject: x\nContent-Transfer-Encoding: base64\n\n"
                       "QkFE\n";
    auto tree = mime::lenient::parse(text, {});
    auto out = av::clean_message(text, tree, {{0, "infected (Test)"}});
    REQUIRE(out.ok());
    CHECK(out->rfind("Subject: x\nContent-Transfer-Encoding: base64\n\n", 0) ==
          0);
    auto again = mime::lenient::parse(*out, {});
    CHECK(again.parts[0].decoded.rfind("This part was removed", 0) == 0);
}

TEST_CASE("quarantine names keep no path separators or leading dots") {
    CHECK(av::sanitise_id("../../etc/passwd") == "_.._etc_passwd");
    CHECK(av::sanitise_id("") == "message");
    CHECK(av::sanitise_id("...") == "message");
    CHECK(av::sanitise_id("a b\nc") == "a_b_c");
    CHECK(av::sanitise_id(std::string(300, 'x')).size() == 80);
}
