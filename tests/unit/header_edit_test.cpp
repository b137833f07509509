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

TEST_CASE("a message that opens with its blank line keeps only that one") {
    // Its header block is empty and "body" is its body: a second blank
    // line put the fields on top of a body that began with a blank line.
    CHECK(mail::add_headers("\nbody\n", {{"X-A", "1"}}) == "X-A: 1\n\nbody\n");
    CHECK(mail::add_headers("\r\nbody\r\n", {{"X-A", "1"}}) ==
          "X-A: 1\r\n\r\nbody\r\n");
    CHECK(mail::add_headers("X-A: 0\n\nbody\n", {{"X-A", "1"}}) ==
          "X-A: 1\n\nbody\n");
}

TEST_CASE("a header block without a body gains its blank line") {
    CHECK(mail::add_headers("Subject: x\n", {{"X-A", "1"}}) ==
          "Subject: x\nX-A: 1\n\n");
}

TEST_CASE("removing a field after a bare cr keeps the header block's end") {
    // "Subject: x\r" then a planted field then the blank line: dropping
    // the field must not join the CR to the blank line's LF, which would
    // end the header block at the body's first blank line instead.
    std::string message = "From: a@b\nSubject: hi\rX-Portcullis-Policy: x\n"
                          "\nContent-Type: text/html\n\nbody\n";
    std::string out = mail::remove_headers(message, [](std::string_view name) {
        return name == "x-portcullis-policy";
    });
    CHECK(out == "From: a@b\nSubject: hi\r\n\nContent-Type: text/html\n\n"
                 "body\n");
    CHECK(mail::add_headers(out, {{"X-Test", "1"}})
              .find("X-Test: 1\n\nContent-Type: text/html") !=
          std::string::npos);
}

TEST_CASE("a subject tag goes in front of the subject once") {
    std::string tagged =
        mail::tag_subject("Subject: hi\nTo: a@example.com\n\nx\n", "[tag]");
    CHECK(tagged == "Subject: [tag] hi\nTo: a@example.com\n\nx\n");
    CHECK(mail::tag_subject(tagged, "[tag]") == tagged);
    // A tag already there, written encoded, in raw UTF-8 or folded, is
    // there once (break test: it was added again).
    for (std::string subject : {"Subject: =?us-ascii?Q?[SPAM]?= x\n\nb\n",
                                "Subject: =?utf-8?B?W1NQQU1dIHg=?=\n\nb\n",
                                "Subject:\n [SPAM] x\n\nb\n"})
        CHECK(mail::tag_subject(subject, "[SPAM]") == subject);
    std::string cyrillic = "Subject: [\xd0\xa1\xd0\x9f\xd0\x90\xd0\x9c] "
                           "already\n\nb\n";
    CHECK(mail::tag_subject(cyrillic, "[\xd0\xa1\xd0\x9f\xd0\x90\xd0\x9c]") ==
          cyrillic);
    CHECK(mail::tag_subject("Subject: =?utf-8?Q?SPAM?= x\n\n", "[SPAM]") ==
          "Subject: [SPAM] =?utf-8?Q?SPAM?= x\n\n");
}

TEST_CASE("a subject the tag would make too long is folded after it") {
    std::string text(70, 'w');
    CHECK(mail::tag_subject("Subject: " + text + "\r\n\r\nx\r\n", "[SPAM]") ==
          "Subject: [SPAM]\r\n " + text + "\r\n\r\nx\r\n");
    // One near RFC 5322's 998 stays under it; a short one stays whole.
    std::string near = "Subject: " + std::string(985, 'w') + "\n\nx\n";
    std::string tagged = mail::tag_subject(near, "[SPAM]");
    CHECK(tagged == "Subject: [SPAM]\n " + near.substr(9));
    CHECK(mail::tag_subject("Subject: " + std::string(62, 'w') + "\n\n",
                            "[SPAM]") ==
          "Subject: [SPAM] " + std::string(62, 'w') + "\n\n");
}

TEST_CASE("a message without a subject gets one of the tag") {
    CHECK(mail::tag_subject("To: a@example.com\r\n\r\nx\r\n", "[tag]") ==
          "To: a@example.com\r\nSubject: [tag]\r\n\r\nx\r\n");
    CHECK(mail::tag_subject("Subject:\r\n\r\nx\r\n", "[tag]") ==
          "Subject: [tag]\r\n\r\nx\r\n");
}

TEST_CASE("a subject written with blanks before its colon keeps its text") {
    // RFC 5322's obsolete syntax: "Subject : text" is the Subject field,
    // and adding a new one would have dropped the old one's text.
    CHECK(mail::tag_subject("Subject : spaced\nTo: a@b\n\nx\n", "[EXT]") ==
          "Subject : [EXT] spaced\nTo: a@b\n\nx\n");
    CHECK(mail::tag_subject("SUBJECT:\tcaps\n\nx\n", "[EXT]") ==
          "SUBJECT:\t[EXT] caps\n\nx\n");
}

TEST_CASE("a tag that is not ascii goes in as an encoded word") {
    CHECK(mail::tag_subject("Subject: caf\xc3\xa9\n\nx\n",
                            "[Vertraulich \xe2\x9c\x93]") ==
          "Subject: =?UTF-8?B?W1ZlcnRyYXVsaWNoIOKck10=?= caf\xc3\xa9\n\nx\n");
    // A long tag is folded with the message's own line end.
    std::string tag =
        "[" + std::string(40, 'x') + " \xc3\xa9" + std::string(40, 'y') + "]";
    std::string lf = mail::tag_subject("Subject: hi\n\nx\n", tag);
    CHECK(lf.find('\r') == std::string::npos);
    CHECK(lf.find("?=\n =?UTF-8?B?") != std::string::npos);
    std::string crlf = mail::tag_subject("Subject: hi\r\n\r\nx\r\n", tag);
    CHECK(crlf.find("?=\r\n =?UTF-8?B?") != std::string::npos);
}

TEST_CASE("an encoded tag before an encoded subject keeps its space") {
    // Blanks between encoded-words are not shown: the space goes inside.
    std::string tagged = mail::tag_subject(
        "Subject: =?utf-8?q?caf=C3=A9?=\n\nx\n", "[\xe2\x9c\x93]");
    CHECK(tagged == "Subject: =?UTF-8?B?W+Kck10g?= =?utf-8?q?caf=C3=A9?=\n\n"
                    "x\n");
    CHECK(mail::tag_subject(tagged, "[\xe2\x9c\x93]") == tagged);
}

TEST_CASE("bare CRs end lines as they do to the views") {
    // A message of bare-CR lines was one header line: fields went after
    // its body and a planted one stayed.
    std::string message = "From: a@example.org\rX-Spam-Flag: YES\r"
                          "Subject: hi\r\rbody\r";
    CHECK(mail::line_ending(message) == "\r");
    CHECK(mail::header_block_end(message) == 49);
    CHECK(mail::add_headers(message, {{"X-Spam-Flag", "NO"}}) ==
          "From: a@example.org\rSubject: hi\rX-Spam-Flag: NO\r\rbody\r");
    CHECK(mail::tag_subject(message, "[SPAM]") ==
          "From: a@example.org\rX-Spam-Flag: YES\rSubject: [SPAM] hi\r\r"
          "body\r");
    // CR LF stays one line end.
    CHECK(mail::line_ending("A: b\r\n\r\n") == "\r\n");
    CHECK(mail::header_block_end("A: b\r\n\r\nc") == 6);
}
