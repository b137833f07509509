// terminal_safe: what reaches an administrator's terminal from mail data
// carries no control sequence and no byte a terminal could misread. The
// trims: each drops its own set of bytes at the ends and nothing else.
#include "core/strings.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;

TEST_CASE("terminal_safe escapes C0 controls and DEL") {
    CHECK(terminal_safe("a.\x1b]0;PWNED\x07") == "a.\\x1b]0;PWNED\\x07");
    CHECK(terminal_safe("line\r\nnext\t\x7f") ==
          "line\\x0d\\x0anext\\x09\\x7f");
    CHECK(terminal_safe(std::string_view("a\0b", 3)) == "a\\x00b");
}

TEST_CASE("terminal_safe escapes C1 controls written in UTF-8") {
    CHECK(terminal_safe("\xc2\x9b"
                        "2J") == "\\xc2\\x9b2J");
    CHECK(terminal_safe("\xc2\x80\xc2\x9f") == "\\xc2\\x80\\xc2\\x9f");
    // U+00A0, just past the C1 range, is printable.
    CHECK(terminal_safe("\xc2\xa0") == "\xc2\xa0");
}

TEST_CASE("terminal_safe keeps printable UTF-8 as it is") {
    std::string text = "report \xc3\xa9t\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac "
                       "\xf0\x9f\x93\x8e ~!";
    CHECK(terminal_safe(text) == text);
    CHECK(terminal_safe("") == "");
}

TEST_CASE("terminal_safe escapes each byte that is not UTF-8") {
    CHECK(terminal_safe("\xff") == "\\xff");
    CHECK(terminal_safe("a\x80z") == "a\\x80z");
    // A cut sequence: its lead byte, then what follows on its own.
    CHECK(terminal_safe("\xe2\x82") == "\\xe2\\x82");
    // Overlong "/" and an encoded surrogate are no characters.
    CHECK(terminal_safe("\xc0\xaf") == "\\xc0\\xaf");
    CHECK(terminal_safe("\xed\xa0\x80") == "\\xed\\xa0\\x80");
    // An overlong ESC cannot slip through as a control.
    CHECK(terminal_safe("\xc0\x9b") == "\\xc0\\x9b");
    CHECK(terminal_safe("\xf5\x80\x80\x80") == "\\xf5\\x80\\x80\\x80");
}

TEST_CASE("terminal_safe escapes the bidirectional controls") {
    // RIGHT-TO-LEFT OVERRIDE would show "invoice_exe.pdf".
    CHECK(terminal_safe("invoice_\xe2\x80\xae"
                        "fdp.exe") == "invoice_\\xe2\\x80\\xaefdp.exe");
    // LRM, RLM, the isolates and the Arabic letter mark.
    CHECK(terminal_safe("\xe2\x80\x8e\xe2\x80\x8f") ==
          "\\xe2\\x80\\x8e\\xe2\\x80\\x8f");
    CHECK(terminal_safe("\xe2\x81\xa6\xe2\x81\xa9") ==
          "\\xe2\\x81\\xa6\\xe2\\x81\\xa9");
    CHECK(terminal_safe("\xd8\x9c") == "\\xd8\\x9c");
    // Their neighbours are printable: EN DASH, HEBREW letter ALEF.
    CHECK(terminal_safe("\xe2\x80\x93 \xd7\x90") == "\xe2\x80\x93 \xd7\x90");
}

TEST_CASE("terminal_safe escapes the line and paragraph separators") {
    // A mail reader may start a new line at either: a reason id holding
    // one gave a cron report a row of the sender's (break test).
    CHECK(terminal_safe("X\xe2\x80\xa8  999  ALL_CLEAR") ==
          "X\\xe2\\x80\\xa8  999  ALL_CLEAR");
    CHECK(terminal_safe("\xe2\x80\xa9") == "\\xe2\\x80\\xa9");
    // U+2027 (HYPHENATION POINT) beside them is printable.
    CHECK(terminal_safe("\xe2\x80\xa7") == "\xe2\x80\xa7");
}

TEST_CASE("each trim drops its own set of bytes at the ends only") {
    std::string_view text = "\v\f\r\n \tx \t\vy\t \n\r\f\v";
    CHECK(trim_space(text) == "x \t\vy");
    CHECK(trim_folding_space(text) == "\v\f\r\n \tx \t\vy\t \n\r\f\v");
    CHECK(trim_folding_space("\r\n\t x\fy \r\n") == "x\fy");
    CHECK(trim_folding_space("\fx\v") == "\fx\v");
    CHECK(trim_blanks(" \t\r x \n\t ") == "\r x \n");
    CHECK(trim_any("--a-b--", "-") == "a-b");
}

TEST_CASE("a trim of nothing but its set is empty") {
    CHECK(trim_space(" \t\r\n\v\f").empty());
    CHECK(trim_folding_space(" \t\r\n").empty());
    CHECK(trim_blanks("\t \t").empty());
    CHECK(trim_blanks("").empty());
}
