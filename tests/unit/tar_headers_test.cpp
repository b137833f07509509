// Tar header blocks read as an extractor that ignores pax and GNU
// long-name headers reads them, and the listing that judges those names.
#include "mail/attachment_type.hpp"
#include "mail/tar_headers.hpp"

#include "tar_builder.hpp"

#include <catch2/catch.hpp>

using namespace portcullis::attachment;

using portcullis::test::tar_block;
using portcullis::test::tar_checksummed;
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

TEST_CASE("tar members are listed in order, extension headers left out") {
    std::string tar = tar_extension("PaxHeader/a", 'x', "18 path=notes.txt\n") +
                      tar_file("a.txt", "hello") + tar_block("d/", 0, '5') +
                      tar_file("b.txt", "", "d") + tar_end();
    TarMembers listed = read_tar_members(tar, 100);
    REQUIRE(listed.members.size() == 3);
    CHECK(listed.members[0].name == "a.txt");
    CHECK(listed.members[0].size == 5);
    CHECK(listed.members[1].name == "d/");
    CHECK(listed.members[2].name == "d/b.txt");
    CHECK(listed.members[2].size == 0);
    CHECK_FALSE(listed.more);
}

TEST_CASE("only max_members tar members are listed") {
    std::string tar;
    for (int i = 0; i < 5; ++i)
        tar += tar_file("f" + std::to_string(i), "");
    tar += tar_end();
    CHECK_FALSE(read_tar_members(tar, 5).more);
    TarMembers listed = read_tar_members(tar, 4);
    CHECK(listed.members.size() == 4);
    CHECK(listed.more);
}

TEST_CASE("a tar member's data is not searched for members") {
    std::string inner = tar_file("a", "") + tar_file("b", "") + tar_end();
    std::string tar = tar_file("inner.tar", inner) + tar_end();
    TarMembers listed = read_tar_members(tar, 100);
    REQUIRE(listed.members.size() == 1);
    CHECK(listed.members[0].name == "inner.tar");
}

TEST_CASE("tar members past a block with a bad checksum are found, as "
          "libclamav finds them") {
    std::string tar = tar_file("a", "x") + std::string(512, 'z') +
                      tar_file("b", "y") + tar_file("c", "") + tar_end();
    TarMembers listed = read_tar_members(tar, 100);
    REQUIRE(listed.members.size() == 3);
    CHECK(listed.members[1].name == "b");
    CHECK(listed.members[2].name == "c");
}

TEST_CASE("tar members hidden where readers part are found") {
    std::string hidden = tar_file("h1", "") + tar_file("h2", "");

    // libclamav reads no data after a folder header.
    std::string folder = tar_block("d/", hidden.size(), '5') + hidden;
    CHECK(read_tar_members(folder + tar_end(), 100).members.size() == 3);

    // It skips a block more after a pax header of no data than others do.
    std::string pax = tar_block("p", 0, 'x') + hidden;
    CHECK(read_tar_members(pax + tar_end(), 100).members.size() == 2);

    // libclamav reads no base-256 size, and skips as far as the last
    // size it did read.
    std::string binary = tar_block("big", 0, '0');
    binary.replace(124, 12, "\x80" + std::string(10, '\0') + "\x40");
    binary = tar_checksummed(binary);
    TarMembers listed = read_tar_members(binary + hidden + tar_end(), 100);
    REQUIRE(listed.members.size() == 3);
    CHECK(listed.members[0].size == 0x40);
    CHECK(listed.members[2].name == "h2");
}

TEST_CASE("tar members after the end of a tar are listed") {
    std::string tar = tar_file("a", "x") + std::string(512, '\0') +
                      tar_file("b", "") + tar_end();
    TarMembers listed = read_tar_members(tar, 100);
    REQUIRE(listed.members.size() == 2);
    CHECK(listed.members[1].name == "b");
}

TEST_CASE("a tar member whose data runs past the end ends the listing") {
    std::string tar = tar_block("cut", 100000, '0') + std::string(1024, 'x');
    TarMembers listed = read_tar_members(tar, 100);
    REQUIRE(listed.members.size() == 1);
    CHECK(listed.members[0].size == 100000);
}

TEST_CASE("a tar is told by a header checksum or by the ustar magic") {
    CHECK(looks_like_tar(tar_file("a", "x") + tar_end()));
    std::string bad_checksum = tar_file("a", "x");
    bad_checksum[0] = 'b';
    CHECK(looks_like_tar(bad_checksum));
    std::string old_style = tar_block("a", 0, '0');
    old_style.replace(257, 8, std::string(8, '\0'));
    CHECK(looks_like_tar(tar_checksummed(old_style)));
    old_style[0] = 'b';
    CHECK_FALSE(looks_like_tar(old_style));
    CHECK_FALSE(looks_like_tar(std::string(512, 'a')));
    CHECK_FALSE(looks_like_tar(std::string(511, '\0')));
}
