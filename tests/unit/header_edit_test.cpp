// Header editing: planted verdict headers are removed, line endings kept,
// and a message of body text alone gets a header block of its own.
#include "mail/header_edit.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;

TEST_CASE("a planted header of the same name is removed, folds included") {
    std::string message = "From: a@example.org\r\nX-Spam-Flag : YES\r\n"
                          " folded\r\nSubject: hi\r\n\r\nX-Spam-Flag: body\r\n";
    CHECK(mail::add_headers(message, {{"X-Spam-Flag", "NO"}}) ==
          "From: a@example.org\r\nSubject: hi\r\nX-Spam-Flag: NO\r\n\r\n"
          "X-Spam-Flag: body\r\n");
}

TEST_CASE("with no fields to add the message comes back unchanged") {
    std::string message = "no separator at all";
    CHECK(mail::add_headers(message, {}) == message);
}

TEST_CASE("body text alone gets a header block at the top") {
    CHECK(mail::add_headers("just text\n", {{"X-A", "1"}}) ==
          "X-A: 1\n\njust text\n");
}

TEST_CASE("a header block without a body gains its blank line") {
    CHECK(mail::add_headers("Subject: x\n", {{"X-A", "1"}}) ==
          "Subject: x\nX-A: 1\n\n");
}
