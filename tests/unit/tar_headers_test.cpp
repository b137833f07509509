// Tar header blocks read as an extractor that ignores pax and GNU
// long-name headers reads them, and the listing that judges those names.
#include "mail/attachment_type.hpp"
#include "mail/tar_headers.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

using namespace portcullis::attachment;

namespace {

// One ustar header block with a valid checksum.
std::string block(std::string_view name, size_t size, char type,
                  std::string_view prefix = "") {
    std::string header(512, '\0');
    header.replace(0, std::min<size_t>(name.size(), 100), name.substr(0, 100));
    header.replace(100, 8, "0000644", 8);
    header.replace(124, 12, fmt::format("{:011o}", size) + '\0');
    header[156] = type;
    header.replace(257, 8,
                   std::string("ustar\0"
                               "00",
                               8));
    header.replace(345, prefix.size(), prefix);
    header.replace(148, 8, "        ");
    unsigned sum = 0;
    for (char c : header)
        sum += static_cast<unsigned char>(c);
    header.replace(148, 8, fmt::format("{:06o}", sum) + '\0' + ' ');
    return header;
}

std::string padded(std::string data) {
    data.resize((data.size() + 511) / 512 * 512, '\0');
    return data;
}

std::string file(std::string_view name, std::string data,
                 std::string_view prefix = "") {
    return block(name, data.size(), '0', prefix) + padded(data);
}

std::string extension(std::string_view name, char type, std::string body) {
    return block(name, body.size(), type) + padded(body);
}

std::string end_blocks() {
    return std::string(1024, '\0');
}

} // namespace

TEST_CASE("a member's ustar name is read behind its pax header") {
    std::string tar = extension("PaxHeader/a", 'x', "18 path=notes.txt\n") +
                      file("evil.exe", "hello") + end_blocks();
    TarHeaderReader reader(tar);
    auto names = reader.names_at(0);
    REQUIRE(names);
    CHECK(names->extension_headers == std::vector<std::string>{"PaxHeader/a"});
    CHECK(names->ustar == "evil.exe");
}

TEST_CASE("a ustar prefix is joined to the name") {
    std::string tar = file("run.js", "x", "docs") + end_blocks();
    TarHeaderReader reader(tar);
    auto names = reader.names_at(0);
    REQUIRE(names);
    CHECK(names->ustar == "docs/run.js");
}

TEST_CASE("tar header blocks are read only forward") {
    std::string tar = file("a.txt", "a") + file("b.txt", "b") + end_blocks();
    TarHeaderReader reader(tar);
    CHECK(reader.names_at(1024)->ustar == "b.txt");
    CHECK_FALSE(reader.names_at(0));
    auto end = reader.names_at(2048);
    REQUIRE(end);
    CHECK_FALSE(end->ustar);
}

TEST_CASE("a tar header with a wrong checksum is not read") {
    std::string tar = file("a.txt", "a") + end_blocks();
    tar[0] = 'b';
    TarHeaderReader reader(tar);
    CHECK_FALSE(reader.names_at(0));
}

TEST_CASE("extension headers past their limits are not read") {
    std::string many;
    for (int i = 0; i <= max_tar_extension_headers; ++i)
        many += extension("g", 'g', "8 a=bcd\n");
    many += file("a.txt", "a") + end_blocks();
    TarHeaderReader headers(many);
    CHECK_FALSE(headers.names_at(0));

    std::string big = block("x", max_tar_extension_bytes + 1, 'x') +
                      std::string(2 << 20, '\0');
    TarHeaderReader large(big);
    CHECK_FALSE(large.names_at(0));
}

TEST_CASE("a tar member is listed by its pax, ustar and header names") {
    std::string tar =
        extension("PaxHeader/run.js", 'x', "18 path=notes.txt\n") +
        file("evil.exe", "hello") + end_blocks();
    Listing listing = list_archive(tar, "x.tar", {});
    REQUIRE(listing.entries.size() == 1);
    CHECK(
        listing.entries[0].names ==
        std::vector<std::string>{"notes.txt", "evil.exe", "PaxHeader/run.js"});
    CHECK(listing.entries[0].path == "x.tar/notes.txt");
    CHECK(listing.error.empty());
    CHECK_FALSE(listing.names_differ);
}

TEST_CASE("an extension header after a tar's last member is listed") {
    std::string tar = file("a.txt", "a") +
                      extension("run.js", 'g', "8 a=bcd\n") + end_blocks();
    Listing listing = list_archive(tar, "x.tar", {});
    REQUIRE(listing.entries.size() == 2);
    CHECK(listing.entries[1].names == std::vector<std::string>{"run.js"});
}
