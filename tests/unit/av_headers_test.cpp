// Removing planted X-Portcullis-AV fields: only they go, folded lines with
// them, and the body is never touched.
#include "av_headers.hpp"

#include <catch2/catch.hpp>

using portcullis::av::remove_av_headers;

TEST_CASE("planted av fields go in any case and with their folded lines") {
    CHECK(remove_av_headers("A: 1\r\nx-PORTCULLIS-av: clean\r\n"
                            "X-Portcullis-AV-Found :\r\n x\r\n\ty\r\n"
                            "B: 2\r\n\r\nX-Portcullis-AV: body\r\n") ==
          "A: 1\r\nB: 2\r\n\r\nX-Portcullis-AV: body\r\n");
}

TEST_CASE("fields that only resemble the av names stay") {
    std::string message = "X-Portcullis-A: 1\nX-Portcullis-Spam: 2\n"
                          "Subject: X-Portcullis-AV: clean\n\nhi\n";
    CHECK(remove_av_headers(message) == message);
}

TEST_CASE("a message without av fields comes back byte for byte") {
    std::string message = "From: a@example.org\r\n\r\nbody";
    CHECK(remove_av_headers(message) == message);
}
