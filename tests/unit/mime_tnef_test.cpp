// TNEF unpacking: files named by attAttachTitle or the MAPI long filename,
// and every damaged or hostile length stopped without reading past the end.
#include "mail/tnef.hpp"

#include <catch2/catch.hpp>

#include <cstdint>

using namespace portcullis;

namespace {

void put16(std::string& out, uint32_t v) {
    out.push_back(static_cast<char>(v & 0xFF));
    out.push_back(static_cast<char>(v >> 8 & 0xFF));
}

void put32(std::string& out, uint32_t v) {
    put16(out, v & 0xFFFF);
    put16(out, v >> 16);
}

// Builds a TNEF stream one attribute record at a time.
struct TnefBuilder {
    std::string bytes;

    TnefBuilder() {
        put32(bytes, 0x223E9F78);
        put16(bytes, 0x0001);
    }

    TnefBuilder& attribute(uint8_t level, uint32_t id, std::string_view data) {
        bytes.push_back(static_cast<char>(level));
        put32(bytes, id);
        put32(bytes, static_cast<uint32_t>(data.size()));
        bytes.append(data);
        uint32_t sum = 0;
        for (unsigned char c : data)
            sum += c;
        put16(bytes, sum & 0xFFFF);
        return *this;
    }
};

constexpr uint32_t att_tnef_version = 0x00089006;
constexpr uint32_t att_attach_rend_data = 0x00069002;
constexpr uint32_t att_attach_title = 0x00018010;
constexpr uint32_t att_attach_data = 0x0006800F;
constexpr uint32_t att_attachment = 0x00069005;

std::string utf16le(std::string_view ascii) {
    std::string out;
    for (char c : ascii) {
        out.push_back(c);
        out.push_back('\0');
    }
    return out;
}

// attAttachment properties holding PR_ATTACH_LONG_FILENAME (PT_UNICODE),
// after a PT_LONG property that must be skipped.
std::string long_filename_props(std::string_view name) {
    std::string props;
    put32(props, 2);
    put16(props, 0x0003); // PT_LONG
    put16(props, 0x3705); // PR_ATTACH_METHOD
    put32(props, 1);
    std::string value = utf16le(name) + std::string(2, '\0');
    put16(props, 0x001F); // PT_UNICODE
    put16(props, 0x3707); // PR_ATTACH_LONG_FILENAME
    put32(props, 1);
    put32(props, static_cast<uint32_t>(value.size()));
    props += value;
    props.append((4 - value.size() % 4) % 4, '\0');
    return props;
}

TnefBuilder two_files() {
    TnefBuilder b;
    b.attribute(1, att_tnef_version, std::string("\0\0\1\0", 4))
        .attribute(2, att_attach_rend_data, std::string(14, '\0'))
        .attribute(2, att_attach_title, std::string("REPORT~1.EXE\0", 13))
        .attribute(2, att_attach_data, "MZ first file")
        .attribute(2, att_attachment, long_filename_props("report 2026.exe"))
        .attribute(2, att_attach_rend_data, std::string(14, '\0'))
        .attribute(2, att_attach_title, std::string("notes.txt\0", 10))
        .attribute(2, att_attach_data, "second");
    return b;
}

} // namespace

TEST_CASE("tnef files are named by the long filename, else the title") {
    auto files = mime::decode_tnef(two_files().bytes, 16, 1 << 20);
    REQUIRE(files.ok());
    REQUIRE(files->size() == 2);
    CHECK((*files)[0].name == "report 2026.exe");
    CHECK((*files)[0].data == "MZ first file");
    CHECK((*files)[1].name == "notes.txt");
    CHECK((*files)[1].data == "second");
}

TEST_CASE("data without the tnef signature is an error") {
    auto files = mime::decode_tnef("MZ not tnef at all", 16, 1 << 20);
    REQUIRE(!files.ok());
    CHECK(files.error().text() == "tnef: no TNEF signature");
    CHECK(!mime::decode_tnef("", 16, 1 << 20).ok());
}

TEST_CASE("a tnef stream cut anywhere yields the files before the cut") {
    // Under ASan this also proves no cut makes the reader run past the end.
    std::string whole = two_files().bytes;
    for (size_t cut = 0; cut <= whole.size(); ++cut) {
        auto contents = mime::unpack_tnef(whole.substr(0, cut), 16, 1 << 20);
        if (cut < 4) {
            CHECK(!contents.ok());
            continue;
        }
        REQUIRE(contents.ok());
        CHECK(contents->files.size() <= 2);
    }
    auto full = mime::unpack_tnef(whole, 16, 1 << 20);
    CHECK(full->problems.empty());
}

TEST_CASE("a tnef attribute length past the end is a problem, not a read") {
    TnefBuilder b;
    b.bytes.push_back(2);
    put32(b.bytes, att_attach_data);
    put32(b.bytes, 0xFFFFFFF0);
    b.bytes += "short";
    auto contents = mime::unpack_tnef(b.bytes, 16, 1 << 20);
    REQUIRE(contents.ok());
    CHECK(contents->files.empty());
    REQUIRE(contents->problems.size() == 1);
    CHECK(contents->problems[0] == "attribute at offset 6 runs past the end");
}

TEST_CASE("hostile mapi property counts are stopped") {
    std::string props;
    put32(props, 0x7FFFFFFF);
    put16(props, 0x0102); // PT_BINARY
    put16(props, 0x3701);
    put32(props, 0x7FFFFFFF); // value count
    TnefBuilder b;
    b.attribute(2, att_attach_rend_data, std::string(14, '\0'))
        .attribute(2, att_attach_title, "x.bin")
        .attribute(2, att_attachment, props);
    auto contents = mime::unpack_tnef(b.bytes, 16, 1 << 20);
    REQUIRE(contents.ok());
    REQUIRE(contents->files.size() == 1);
    CHECK(contents->files[0].name == "x.bin");
    CHECK(!contents->problems.empty());
}

TEST_CASE("tnef file count and byte limits hold") {
    TnefBuilder b;
    for (int i = 0; i < 10; ++i)
        b.attribute(2, att_attach_rend_data, "")
            .attribute(2, att_attach_title, "f" + std::to_string(i))
            .attribute(2, att_attach_data, std::string(100, 'x'));
    auto few = mime::unpack_tnef(b.bytes, 3, 1 << 20);
    CHECK(few->files.size() == 3);
    CHECK(few->problems.at(0) == "more than 3 files");
    auto small = mime::unpack_tnef(b.bytes, 16, 250);
    size_t total = 0;
    for (const auto& f : small->files)
        total += f.data.size();
    CHECK(total == 250);
    CHECK(small->problems.at(0) == "file data beyond 250 bytes");
}

namespace {

// attAttachment properties: PR_ATTACH_LONG_FILENAME and PR_ATTACH_DATA_OBJ
// as PT_BINARY, the copy of the bytes Outlook saves.
std::string name_and_data_props(std::string_view name, std::string_view data) {
    std::string props;
    put32(props, 2);
    auto variable = [&](uint16_t type, uint16_t id, std::string_view value) {
        put16(props, type);
        put16(props, id);
        put32(props, 1);
        put32(props, static_cast<uint32_t>(value.size()));
        props.append(value);
        props.append((4 - value.size() % 4) % 4, '\0');
    };
    variable(0x001F, 0x3707, utf16le(name) + std::string(2, '\0'));
    variable(0x0102, 0x3701, data);
    return props;
}

} // namespace

TEST_CASE("every tnef name and every copy of the bytes is kept") {
    TnefBuilder b;
    b.attribute(1, att_tnef_version, std::string("\0\0\1\0", 4))
        .attribute(2, att_attach_rend_data, std::string(14, '\0'))
        .attribute(2, att_attach_title, std::string("evil.exe\0", 9))
        .attribute(2, att_attach_data, "plain words")
        .attribute(2, att_attachment,
                   name_and_data_props("notes.txt", "MZ program"));
    auto files = mime::decode_tnef(b.bytes, 16, 1 << 20);
    REQUIRE(files.ok());
    REQUIRE(files->size() == 2);
    for (const mime::EmbeddedFile& file : *files) {
        CHECK(file.name == "notes.txt");
        CHECK(file.other_names == std::vector<std::string>{"evil.exe"});
    }
    CHECK((*files)[0].data == "plain words");
    CHECK((*files)[1].data == "MZ program");
}

TEST_CASE("one copy of the bytes in both places is one file") {
    TnefBuilder b;
    b.attribute(1, att_tnef_version, std::string("\0\0\1\0", 4))
        .attribute(2, att_attach_rend_data, std::string(14, '\0'))
        .attribute(2, att_attach_title, std::string("notes.txt\0", 10))
        .attribute(2, att_attach_data, "same")
        .attribute(2, att_attachment, name_and_data_props("notes.txt", "same"));
    auto files = mime::decode_tnef(b.bytes, 16, 1 << 20);
    REQUIRE(files.ok());
    REQUIRE(files->size() == 1);
    CHECK((*files)[0].other_names.empty());
}
