// Rewriting: stripped parts keep every other byte, line endings
// included. Subject tags are mail::tag_subject's (header_edit_test).
#include "mail/header_edit.hpp"
#include "policy_rewrite.hpp"

#include <catch2/catch.hpp>

using namespace portcullis::policy;

namespace {

const std::string multipart =
    "Subject: hi\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
    "--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
    "--b\r\nContent-Type: application/x-bad; name=\"x.exe\"\r\n\r\nMZ\r\n"
    "--b\r\nContent-Type: text/plain\r\n\r\nkeep\r\n--b--\r\n";

} // namespace

TEST_CASE("a stripped part becomes a notice and the rest stays") {
    auto out = strip_parts(multipart, {{"1.2", "removed"}});
    REQUIRE(out);
    CHECK(*out ==
          "Subject: hi\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n"
          "\r\n--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
          "--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
          "Content-Disposition: inline\r\n"
          "Content-Transfer-Encoding: 8bit\r\n\r\nremoved\r\n"
          "--b\r\nContent-Type: text/plain\r\n\r\nkeep\r\n--b--\r\n");
}

TEST_CASE("a part that is not there is not guessed at") {
    CHECK_FALSE(strip_parts(multipart, {{"1.7", "removed"}}));
    CHECK_FALSE(strip_parts("Subject: x\r\n\r\nplain\r\n", {{"1.1", "r"}}));
}

TEST_CASE("a boundary inside a line is not a delimiter") {
    std::string text = "Content-Type: multipart/mixed; boundary=b\n\n"
                       "--b\n\nsee --b here\n--b\n\nsecond\n--b--\n";
    auto out = strip_parts(text, {{"1.2", "gone"}});
    REQUIRE(out);
    CHECK(out->find("see --b here") != std::string::npos);
    CHECK(out->find("second") == std::string::npos);
    CHECK(portcullis::mail::line_ending(text) == "\n");
}
