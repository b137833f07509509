// The ZIP directory reader: every name an extractor may use, offsets
// corrected for data before the archive, and hostile counts, sizes and
// offsets that end the reading with an error, never past the content.
#include "mail/zip_directory.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

using namespace portcullis::attachment;

namespace {

void put(std::string& out, uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i, value >>= 8)
        out += static_cast<char>(value & 0xFF);
}

std::string unicode_path(const std::string& name) {
    std::string field;
    put(field, 0x7075, 2);
    put(field, 5 + name.size(), 2);
    field += '\x01';
    put(field, 0, 4); // CRC of the header name, unchecked
    return field + name;
}

// One stored member, its names and extra fields given per header.
struct Member {
    std::string central_name;
    std::string local_name;
    std::string data;
    std::string central_extra;
    std::string local_extra;
};

// Builds a ZIP of stored members the way the tests need it bent.
struct ZipBuilder {
    std::vector<Member> members;
    uint64_t declared_entries = UINT64_MAX; ///< the real count unless set
    uint32_t offset_shift = 0; ///< added to every stored local offset

    std::string build() const {
        std::string out, directory;
        for (const Member& m : members) {
            size_t offset = out.size();
            out += header(0x04034b50, m, m.local_name, m.local_extra);
            out += m.data;
            std::string entry = "PK\x01\x02";
            put(entry, 20, 2); // made by
            entry += header(0, m, m.central_name, m.central_extra).substr(4);
            entry.insert(entry.size() - m.central_name.size() -
                             m.central_extra.size(),
                         central_tail(offset + offset_shift));
            directory += entry;
        }
        size_t directory_offset = out.size();
        out += directory;
        uint64_t count =
            declared_entries == UINT64_MAX ? members.size() : declared_entries;
        out += "PK\x05\x06";
        put(out, 0, 4);
        put(out, count, 2);
        put(out, count, 2);
        put(out, directory.size(), 4);
        put(out, directory_offset, 4);
        put(out, 0, 2);
        return out;
    }

    // The fields local and central headers share, after the signature.
    static std::string header(uint32_t signature, const Member& m,
                              const std::string& name,
                              const std::string& extra) {
        std::string out;
        put(out, signature, 4);
        put(out, 20, 2); // version needed
        put(out, 0, 2);  // flags
        put(out, 0, 2);  // stored
        put(out, 0, 4);  // time and date
        put(out, 0, 4);  // CRC, unchecked here
        put(out, m.data.size(), 4);
        put(out, m.data.size(), 4);
        put(out, name.size(), 2);
        put(out, extra.size(), 2);
        return out + name + extra;
    }

    // Comment length, disk, attributes and the local header offset.
    static std::string central_tail(uint64_t offset) {
        std::string out;
        put(out, 0, 2);
        put(out, 0, 2);
        put(out, 0, 2);
        put(out, 0, 4);
        put(out, offset, 4);
        return out;
    }
};

Member plain(const std::string& name, const std::string& data) {
    return {name, name, data, "", ""};
}

} // namespace

TEST_CASE("zip members keep their one name when the headers agree") {
    ZipBuilder zip;
    zip.members = {plain("a.txt", "hello"), plain("b/c.txt", "x")};
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
    zip.members = {plain("run.js", "WScript.Echo(1)")};
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
    zip.members = {plain("a.txt", "1")};
    std::string content = zip.build();
    content[content.size() - 2] = 10;
    content += "ten bytes!";
    CHECK(has_zip_directory(content));
    CHECK(read_zip_directory(content, 100).members.size() == 1);
    CHECK_FALSE(has_zip_directory(content + std::string(70000, ' ')));
}

TEST_CASE("a file header the directory leaves out is read as unlisted") {
    ZipBuilder hidden;
    hidden.members = {plain("evil.js", "1")};
    std::string head = hidden.build();
    head.resize(30 + 7 + 1); // its file header and data alone
    ZipBuilder zip;
    zip.members = {plain("readme.txt", "hello")};
    ZipDirectory directory = read_zip_directory(head + zip.build(), 100);
    REQUIRE(directory.members.size() == 2);
    CHECK(directory.members[0].listed);
    CHECK_FALSE(directory.members[1].listed);
    CHECK(directory.members[1].names == std::vector<std::string>{"evil.js"});
    CHECK(directory.members[1].names_differ);
}

TEST_CASE("a zip directory stops at max_members") {
    ZipBuilder zip;
    zip.members = {plain("a", "1"), plain("b", "2"), plain("c", "3")};
    ZipDirectory directory = read_zip_directory(zip.build(), 2);
    CHECK(directory.members.size() == 2);
    CHECK(directory.more);
}

TEST_CASE("a zip directory that lies is an error, not a guess") {
    ZipBuilder short_count;
    short_count.members = {plain("a", "1")};
    short_count.declared_entries = 3;
    ZipDirectory cut = read_zip_directory(short_count.build(), 100);
    CHECK(cut.error == "central directory is cut short");
    CHECK(cut.members.size() == 1);

    ZipBuilder far_offset;
    far_offset.members = {plain("a", "1")};
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
    zip.members = {plain("a.txt", "hello")};
    std::string content = zip.build();
    content[30 + 5 + 5 + 20] = '\x7F'; // the directory's compressed size
    CHECK(read_zip_directory(content, 100).error ==
          "file data runs past the end");
}

TEST_CASE("a damaged zip is read within its bytes, whatever the damage") {
    ZipBuilder zip;
    zip.members = {{"a.txt", "a.txt", "hello", unicode_path("b.txt"), ""},
                   plain("c/d.txt", "world")};
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
