// Attachment names read as Windows reads them, true types from content,
// and archive listings that stop at their limits.
#include "mail/attachment_type.hpp"

#include <catch2/catch.hpp>

#include <archive.h>
#include <archive_entry.h>

using namespace portcullis::attachment;

namespace {

// Builds a zip in memory with libarchive, one entry per (name, data).
std::string zip(const std::vector<std::pair<std::string, std::string>>& files) {
    std::string out(1 << 20, '\0');
    size_t used = 0;
    archive* writer = archive_write_new();
    archive_write_set_format_zip(writer);
    archive_write_open_memory(writer, out.data(), out.size(), &used);
    for (const auto& [name, data] : files) {
        archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, name.c_str());
        archive_entry_set_size(entry, static_cast<la_int64_t>(data.size()));
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_perm(entry, 0644);
        archive_write_header(writer, entry);
        archive_write_data(writer, data.data(), data.size());
        archive_entry_free(entry);
    }
    archive_write_close(writer);
    archive_write_free(writer);
    out.resize(used);
    return out;
}

} // namespace

TEST_CASE("rtlo_filename_keeps_its_stored_extension") {
    NameInfo info = examine_name("invoice\xE2\x80\xAE"
                                 "fdp.exe");
    CHECK(info.bidi_control);
    CHECK(info.extension == "exe");
    CHECK(info.shown == "invoicefdp.exe");
}

TEST_CASE("nul_in_filename_keeps_the_real_extension") {
    NameInfo info = examine_name(std::string("scan.pdf\0.exe", 13));
    CHECK(info.nul);
    CHECK(info.extension == "exe");
    CHECK(info.double_extension);
}

TEST_CASE("trailing dots and blanks do not hide an extension") {
    NameInfo info = examine_name("Bill.EXE . ");
    CHECK(info.padded);
    CHECK(info.extension == "exe");
}

TEST_CASE("an executable extension hidden before a decoy is still listed") {
    NameInfo nul = examine_name(std::string("a.exe\0.pdf", 10));
    CHECK(nul.extensions == std::vector<std::string>{"exe", "pdf"});
    CHECK(nul.extension == "pdf");
    CHECK(nul.disguised());
    NameInfo rlo = examine_name("a.exe\xE2\x80\xAE.pdf");
    CHECK(rlo.extensions == std::vector<std::string>{"exe", "pdf"});
    CHECK(rlo.disguised());
    NameInfo padded = examine_name("a.exe" + std::string(20, ' ') + ".pdf");
    CHECK(padded.extensions == std::vector<std::string>{"exe", "pdf"});
    CHECK(padded.padded);
    NameInfo hidden = examine_name("a.exe\xE2\x80\x8B.pdf");
    CHECK(hidden.invisible);
    CHECK(hidden.disguised());
    CHECK_FALSE(examine_name("minutes.final.pdf").disguised());
}

TEST_CASE("a decoy before the real extension is a double extension") {
    CHECK(examine_name("Payment.PDF.html").double_extension);
    CHECK_FALSE(examine_name("archive.tar.gz").double_extension);
    CHECK_FALSE(examine_name("report 2024.final notes.pdf").double_extension);
}

TEST_CASE("an unnamed attachment's type implies the extension a reader "
          "saves it under") {
    CHECK(implied_extension("text/html") == "htm");
    CHECK(implied_extension("application/x-msdownload") == "exe");
    CHECK(implied_extension("application/pdf").empty());
    CHECK(examine_name(".htm").extension == "htm");
}

TEST_CASE("the true type comes from the content") {
    std::string exe = "MZ";
    exe.resize(256, '\0');
    CHECK(true_type(exe) == "application/x-dosexec");
    CHECK(true_type("%PDF-1.4\n") == "application/pdf");
    CHECK(true_type("") == "application/x-empty");
}

TEST_CASE("an archive lists its files, nested archives included") {
    std::string inner = zip({{"setup.exe", "MZ" + std::string(254, '\0')}});
    std::string outer = zip({{"readme.txt", "hello\n"}, {"inner.zip", inner}});
    Listing listing = list_archive(outer, "outer.zip", {});
    REQUIRE(listing.entries.size() == 3);
    CHECK(listing.entries[2].path == "outer.zip/inner.zip/setup.exe");
    CHECK(listing.entries[2].true_type == "application/x-dosexec");
    CHECK(listing.entries[2].depth == 2);
    CHECK(listing.limit.empty());
}

TEST_CASE("archive listing stops at its limits") {
    std::string inner = zip({{"a.txt", "a"}});
    std::string outer = zip({{"inner.zip", inner}});
    ArchiveLimits shallow;
    shallow.max_depth = 1;
    CHECK(list_archive(outer, "o.zip", shallow).limit == "max_depth");
    ArchiveLimits few;
    few.max_entries = 1;
    CHECK(list_archive(zip({{"a", "1"}, {"b", "2"}}), "o.zip", few).limit ==
          "max_entries");
    ArchiveLimits small;
    small.max_entry_bytes = 1000;
    CHECK(list_archive(zip({{"big", std::string(5000, 'x')}}), "o.zip", small)
              .limit == "max_entry_bytes");
}

TEST_CASE("garbage is not an archive") {
    Listing listing = list_archive("not an archive at all", "x.zip", {});
    CHECK(listing.entries.empty());
    CHECK_FALSE(listing.error.empty());
}
