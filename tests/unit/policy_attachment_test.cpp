// Attachment names read as Windows reads them, true types from content,
// and archive listings that stop at their limits.
#include "mail/attachment_type.hpp"

#include <catch2/catch.hpp>

#include <archive.h>
#include <archive_entry.h>

using namespace portcullis::attachment;

namespace {

using Files = std::vector<std::pair<std::string, std::string>>;

// Builds an archive in memory with libarchive, one entry per (name, data).
std::string archive_of(int (*set_format)(archive*), const Files& files) {
    std::string out(1 << 20, '\0');
    size_t used = 0;
    archive* writer = archive_write_new();
    set_format(writer);
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

std::string zip(const Files& files) {
    return archive_of(archive_write_set_format_zip, files);
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

TEST_CASE("an NTFS data stream suffix does not hide an extension") {
    NameInfo info = examine_name("pay.exe::$DATA");
    CHECK(info.padded);
    CHECK(info.extension == "exe");
    CHECK(info.extensions == std::vector<std::string>{"exe"});
    CHECK(examine_name("pay.pdf.exe::$data ").double_extension);
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
    CHECK(examine_name("pay.pdf.scr").double_extension);
    CHECK(examine_name("pay.pdf   .exe").disguised());
}

TEST_CASE("a wrapper after a document's extension is no disguise") {
    for (const char* name :
         {"notes.txt.gz", "notes.txt.bz2", "notes.txt.xz", "dump.csv.zst",
          "notes.txt.Z", "invoice.pdf.zip", "photos.jpg.7z", "scans.pdf.rar",
          "docs.pdf.tar", "docs.pdf.tgz", "letter.doc.p7m"}) {
        INFO(name);
        CHECK_FALSE(examine_name(name).double_extension);
        CHECK_FALSE(examine_name(name).disguised());
    }
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
    CHECK(listing.error.empty());
    // libarchive writes data descriptors: walking past them finds no
    // file header the directory leaves out.
    CHECK_FALSE(listing.names_differ);
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

TEST_CASE("a zip behind other bytes is an archive, a document by name not") {
    std::string archive = zip({{"run.js", "WScript.Echo(1)"}});
    std::string docx = "application/vnd.openxmlformats-officedocument."
                       "wordprocessingml.document";
    CHECK(is_archive(std::string(100, 'X') + archive,
                     "application/octet-stream", {"x.zip"}));
    CHECK_FALSE(is_archive(archive, docx, {"report.docx"}));
    CHECK(is_archive(archive, docx, {"report.zip"}));
    CHECK(is_archive(std::string(100, 'X') + archive, docx, {"report.docx"}));
    CHECK_FALSE(is_archive("PK\x05\x06" + std::string(18, '\x01'),
                           "application/octet-stream", {"x.zip"}));
}

TEST_CASE("a zip member packed by a method we cannot undo is unreadable") {
    std::string archive = zip({{"a.txt", std::string(100, 'a')}});
    archive[8] = 9; // Deflate64, which libarchive does not inflate
    archive[archive.find("PK\x01\x02") + 10] = 9;
    Listing listing = list_archive(archive, "x.zip", {});
    REQUIRE(listing.entries.size() == 1);
    CHECK(listing.entries[0].names == std::vector<std::string>{"a.txt"});
    CHECK_FALSE(listing.error.empty());
}

TEST_CASE("a 7z archive after other bytes is found and listed") {
    std::string packed =
        archive_of(archive_write_set_format_7zip,
                   {{"setup.exe", "MZ" + std::string(254, 0)}});
    std::string content = std::string(1000, 'X') + packed;
    CHECK(is_archive(content, "application/octet-stream", {"x.7z"}));
    Listing listing = list_archive(content, "x.7z", {});
    REQUIRE(listing.entries.size() == 1);
    CHECK(listing.entries[0].path == "x.7z/setup.exe");
    CHECK(listing.entries[0].true_type == "application/x-dosexec");
    CHECK(listing.error.empty());
}

TEST_CASE("a long final extension is the one a file runs by, and a class "
          "id disguises it") {
    // The 10-byte cap on extensions once made this name read as a .pdf.
    NameInfo info =
        examine_name("invoice.pdf.{3050F4D8-98B5-11CF-BB82-00AA00BDCE0B}");
    CHECK(info.extension == "{3050f4d8-98b5-11cf-bb82-00aa00bdce0b}");
    CHECK(info.double_extension);
    CHECK(info.clsid);
    CHECK(info.disguised());
    NameInfo alone =
        examine_name("report.{3050F4D8-98B5-11CF-BB82-00AA00BDCE0B}");
    CHECK(alone.clsid);
    CHECK(alone.disguised());
    NameInfo plain = examine_name("notes.2024.final version.txt");
    CHECK(plain.extension == "txt");
    CHECK_FALSE(plain.disguised());
}
