// ByteReader: skipping a message keeps the offset and the next line
// exact, and a skip cut short is the same error as a read cut short.
#include "core/byte_reader.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <unistd.h>

using namespace portcullis;

namespace {

// Holds text in an unlinked temporary file, larger than any pipe buffer.
int file_with(const std::string& text) {
    std::FILE* file = std::tmpfile();
    REQUIRE(file != nullptr);
    int fd = ::dup(::fileno(file));
    std::fclose(file);
    REQUIRE(::write(fd, text.data(), text.size()) ==
            static_cast<ssize_t>(text.size()));
    REQUIRE(::lseek(fd, 0, SEEK_SET) == 0);
    return fd;
}

} // namespace

TEST_CASE("skip_exact drops bytes across buffer refills") {
    std::string body(200000, 'x');
    int fd = file_with(body + "next\n");
    ByteReader input(fd, "in");
    REQUIRE(input.skip_exact(body.size()).ok());
    CHECK(input.offset() == body.size());
    std::string line;
    REQUIRE(*input.read_line(line, 100));
    CHECK(line == "next\n");
    ::close(fd);
}

TEST_CASE("skip_exact past the end says how many bytes arrived") {
    int fd = file_with("abc");
    ByteReader input(fd, "in");
    Status skipped = input.skip_exact(uint64_t{1} << 62);
    REQUIRE(!skipped.ok());
    CHECK(skipped.error().text() ==
          "in: offset 3: truncated: expected 4611686018427387904 bytes, got 3");
    ::close(fd);
}

TEST_CASE("read_all counts what it was handed towards the limit") {
    // A file's first line is read on its own to tell an mbox from a
    // message; a file over the limit by less than that line was taken.
    int fd = file_with("From: a@example.org\nSubject: hi\n\nbody\n");
    ByteReader input(fd, "in");
    std::string message;
    REQUIRE(*input.read_line(message, 100));
    auto read = input.read_all(message, 37);
    REQUIRE(!read.ok());
    CHECK(read.error().message == "input exceeds limit of 37 bytes");
    CHECK(message == "From: a@example.org\nSubject: hi\n\nbody");
    ::close(fd);
    fd = file_with("From: a@example.org\nSubject: hi\n\nbody\n");
    ByteReader whole(fd, "in");
    message.clear();
    REQUIRE(*whole.read_line(message, 100));
    REQUIRE(whole.read_all(message, 38).ok());
    CHECK(message.size() == 38);
    ::close(fd);
}
