// The ZIP directory reader: every name an extractor may use, offsets
// corrected for data before the archive, and hostile counts, sizes and
// offsets that end the reading with an error, never past the content.
#include "mail/zip_directory.hpp"

#include "zip_builder.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

using namespace portcullis::attachment;
using portcullis::test::stored;
using portcullis::test::unicode_path;
using portcullis::test::ZipBuilder;

TEST_CASE("zip members keep their one name when the headers agree") {
    ZipBuilder zip;
    zip.members = {stored("a.txt", "hello"), stored("b/c.txt", "x")};
    ZipDirectory directory = read_zip_directory(zip.build(), 100);
    REQUIRE(directory.error.empty());
    REQUIRE(directory.members.size() == 2);
    CHECK(directory.members[0].names == std::vector<std::string>{"a.txt"});
    CHECK(directory.members[1].names == std::vector<std::string>{"b/c.txt"});
    CHECK_FALSE(directory.members[0].names_differ);
    CHECK(directory.members[1].size == 1);
}

TEST_CASE("a zip member gets every name its headers give") {
    ZipBuilder zip;
    zip.members = {{"aaaaa.js", "aaaa.txt", "1", unicode_path("u.exe"),
                    unicode_path("v.scr")}};
    ZipDirectory directory = read_zip_directory(zip.build(), 100);
    REQUIRE(directory.members.size() == 1);
    CHECK(directory.members[0].names ==
          std::vector<std::string>{"aaaaa.js", "u.exe", "aaaa.txt", "v.scr"});
    CHECK(directory.members[0].names_differ);
}

TEST_CASE("a legacy code page name and its UTF-8 spelling do not differ") {
    ZipBuilder zip;
    std::string utf8 = "caf\xC3\xA9.txt";
    zip.members = {{"caf\x82.txt", "caf\x82.txt", "menu", unicode_path(utf8),
                    unicode_path(utf8)}};
    ZipDirectory directory = read_zip_directory(zip.build(), 100);
    REQUIRE(directory.members.size() == 1);
    CHECK(directory.members[0].names.size() == 2);
    CHECK_FALSE(directory.members[0].names_differ);
}

TEST_CASE("data before a zip moves every offset by its length") {
    ZipBuilder zip;
    zip.members = {stored("run.js", "WScript.Echo(1)")};
    std::string content = std::string(1000, 'X') + zip.build();
    ZipDirectory directory = read_zip_directory(content, 100);
    REQUIRE(directory.error.empty());
    CHECK(directory.prefix_bytes == 1000);
    REQUIRE(directory.members.size() == 1);
    CHECK(content.substr(directory.members[0].data_offset, 15) ==
          "WScript.Echo(1)");
}

TEST_CASE("a comment after the end record does not hide it") {
    ZipBuilder zip;
    zip.members = {stored("a.txt", "1")};
    std::string content = zip.build();
    content[content.size() - 2] = 10;
    content += "ten bytes!";
    CHECK(has_zip_directory(content));
    CHECK(read_zip_directory(content, 100).members.size() == 1);
    CHECK_FALSE(has_zip_directory(content + std::string(70000, ' ')));
}

TEST_CASE("a file header the directory leaves out is read as unlisted") {
    ZipBuilder hidden;
    hidden.members = {stored("evil.js", "1")};
    std::string head = hidden.build();
    head.resize(30 + 7 + 1); // its file header and data alone
    ZipBuilder zip;
    zip.members = {stored("readme.txt", "hello")};
    ZipDirectory directory = read_zip_directory(head + zip.build(), 100);
    REQUIRE(directory.members.size() == 2);
    CHECK(directory.members[0].listed);
    CHECK_FALSE(directory.members[1].listed);
    CHECK(directory.members[1].names == std::vector<std::string>{"evil.js"});
    CHECK(directory.members[1].names_differ);
}

TEST_CASE("a zip directory stops at max_members") {
    ZipBuilder zip;
    zip.members = {stored("a", "1"), stored("b", "2"), stored("c", "3")};
    ZipDirectory directory = read_zip_directory(zip.build(), 2);
    CHECK(directory.members.size() == 2);
    CHECK(directory.more);
}

TEST_CASE("a zip directory that lies is an error, not a guess") {
    ZipBuilder short_count;
    short_count.members = {stored("a", "1")};
    short_count.declared_entries = 3;
    ZipDirectory cut = read_zip_directory(short_count.build(), 100);
    CHECK(cut.error == "central directory is cut short");
    CHECK(cut.members.size() == 1);

    ZipBuilder far_offset;
    far_offset.members = {stored("a", "1")};
    far_offset.offset_shift = 0x7FFFFFFF;
    CHECK(read_zip_directory(far_offset.build(), 100).error ==
          "file header missing");

    ZipBuilder empty;
    ZipDirectory none = read_zip_directory(empty.build(), 100);
    CHECK(none.error.empty());
    CHECK(none.members.empty());
    CHECK(read_zip_directory("PK\x05\x06", 100).error == "no zip end record");
}

TEST_CASE("a zip member whose data runs past the end is an error") {
    ZipBuilder zip;
    zip.members = {stored("a.txt", "hello")};
    std::string content = zip.build();
    content[30 + 5 + 5 + 20] = '\x7F'; // the directory's compressed size
    CHECK(read_zip_directory(content, 100).error ==
          "file data runs past the end");
}

TEST_CASE("a damaged zip is read within its bytes, whatever the damage") {
    ZipBuilder zip;
    zip.members = {{"a.txt", "a.txt", "hello", unicode_path("b.txt"), ""},
                   stored("c/d.txt", "world")};
    std::string content = zip.build();
    for (size_t cut = 0; cut <= content.size(); ++cut)
        read_zip_directory(content.substr(0, cut), 100);
    for (size_t at = 0; at < content.size(); ++at) {
        for (char value : {'\x00', '\x01', '\x7F', '\xFF'}) {
            std::string damaged = content;
            damaged[at] = value;
            ZipDirectory directory = read_zip_directory(damaged, 100);
            for (const ZipMember& member : directory.members)
                CHECK(member.data_offset + member.compressed_size <=
                      damaged.size());
        }
    }
}
