// Bare CRs, read as line ends by every view.
#include "mail/line_ends.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;

TEST_CASE("only a CR that no LF follows is bare") {
    CHECK_FALSE(mail::has_bare_cr("a\r\nb\n"));
    CHECK(mail::has_bare_cr("a\rb"));
    CHECK(mail::has_bare_cr("a\r\nb\r"));
    CHECK(mail::has_bare_cr("a\r\r\n"));
    CHECK(mail::bare_cr_as_lf("a\rb\r\nc\r\r\nd\r") == "a\nb\r\nc\n\r\nd\n");
}

TEST_CASE("a message without bare CRs is read as it is") {
    std::string storage;
    std::string_view text = "A: b\r\n\r\nbody\r\n";
    CHECK(mail::readable_line_ends(text, storage).data() == text.data());
    CHECK(storage.empty());
    CHECK(mail::readable_line_ends("A: b\r\rbody", storage) == "A: b\n\nbody");
}

TEST_CASE("a line ends at its LF or at a bare CR before it") {
    std::string_view text = "a\r\nb\rc\r\r\nd\ne";
    CHECK(mail::line_end(text, 0) == 2);
    CHECK(mail::line_end(text, 3) == 4);
    CHECK(mail::line_end(text, 5) == 6);
    CHECK(mail::line_end(text, 7) == 8);
    CHECK(mail::line_end(text, 9) == 10);
    CHECK(mail::line_end(text, 11) == std::string_view::npos);
    CHECK(mail::line_end("x\r", 0) == 1);
    CHECK(mail::line_end("", 0) == std::string_view::npos);
}
