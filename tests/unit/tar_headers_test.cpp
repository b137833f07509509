// Tar header blocks read as an extractor that ignores pax and GNU
// long-name headers reads them, and the listing that judges those names.
#include "mail/attachment_type.hpp"
#include "mail/tar_headers.hpp"

#include "tar_builder.hpp"

#include <catch2/catch.hpp>

using namespace portcullis::attachment;

using portcullis::test::tar_block;
using portcullis::test::tar_end;
using portcullis::test::tar_extension;
using portcullis::test::tar_file;

TEST_CASE("a member's ustar name is read behind its pax header") {
    std::string tar = tar_extension("PaxHeader/a", 'x', "18 path=notes.txt\n") +
                      tar_file("evil.exe", "hello") + tar_end();
    TarHeaderReader reader(tar);
    auto names = reader.names_at(0);
    REQUIRE(names);
    CHECK(names->extension_headers == std::vector<std::string>{"PaxHeader/a"});
    CHECK(names->ustar == "evil.exe");
}

TEST_CASE("a ustar prefix is joined to the name") {
    std::string tar = tar_file("run.js", "x", "docs") + tar_end();
    TarHeaderReader reader(tar);
    auto names = reader.names_at(0);
    REQUIRE(names);
    CHECK(names->ustar == "docs/run.js");
}

TEST_CASE("tar header blocks are read only forward") {
    std::string tar =
        tar_file("a.txt", "a") + tar_file("b.txt", "b") + tar_end();
    TarHeaderReader reader(tar);
    CHECK(reader.names_at(1024)->ustar == "b.txt");
    CHECK_FALSE(reader.names_at(0));
    auto end = reader.names_at(2048);
    REQUIRE(end);
    CHECK_FALSE(end->ustar);
}

TEST_CASE("a tar header with a wrong checksum is not read") {
    std::string tar = tar_file("a.txt", "a") + tar_end();
    tar[0] = 'b';
    TarHeaderReader reader(tar);
    CHECK_FALSE(reader.names_at(0));
}

TEST_CASE("extension headers past their limits are not read") {
    std::string many;
    for (int i = 0; i <= max_tar_extension_headers; ++i)
        many += tar_extension("g", 'g', "8 a=bcd\n");
    many += tar_file("a.txt", "a") + tar_end();
    TarHeaderReader headers(many);
    CHECK_FALSE(headers.names_at(0));

    std::string big = tar_block("x", max_tar_extension_bytes + 1, 'x') +
                      std::string(2 << 20, '\0');
    TarHeaderReader large(big);
    CHECK_FALSE(large.names_at(0));
}

TEST_CASE("a tar member is listed by its pax, ustar and header names") {
    std::string tar =
        tar_extension("PaxHeader/run.js", 'x', "18 path=notes.txt\n") +
        tar_file("evil.exe", "hello") + tar_end();
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
    std::string tar = tar_file("a.txt", "a") +
                      tar_extension("run.js", 'g', "8 a=bcd\n") + tar_end();
    Listing listing = list_archive(tar, "x.tar", {});
    REQUIRE(listing.entries.size() == 2);
    CHECK(listing.entries[1].names == std::vector<std::string>{"run.js"});
}
