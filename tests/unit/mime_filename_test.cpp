// File name tricks are flagged, the real extension is the stored one, and
// names written to disk cannot leave their folder or hide characters.
#include "mail/filename.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;
using Ids = std::vector<std::string>;

TEST_CASE("a right-to-left override in a filename is flagged and the stored "
          "extension wins") {
    std::string name = "invoice\xE2\x80\xAE"
                       "fdp.exe";
    CHECK(mime::filename_anomalies(name) == Ids{"BIDI_CONTROL_IN_FILENAME"});
    CHECK(mime::final_extension(name) == "exe");
    CHECK(mime::escape_hidden(name) == "invoice\\u202Efdp.exe");
}

TEST_CASE("zero-width characters in a filename are flagged") {
    CHECK(mime::filename_anomalies("pay\xE2\x80\x8Bment.exe") ==
          Ids{"ZERO_WIDTH_IN_FILENAME"});
}

TEST_CASE("a NUL in a filename is flagged and the extension after it "
          "counts") {
    std::string name("scan.pdf\0.exe", 13);
    CHECK(mime::filename_anomalies(name) ==
          Ids{"NUL_IN_FILENAME", "DOUBLE_EXTENSION"});
    CHECK(mime::final_extension(name) == "exe");
    CHECK(mime::escape_hidden(name) == "scan.pdf\\u0000.exe");
}

TEST_CASE("a trailing dot or space is flagged and dropped from the "
          "extension") {
    CHECK(mime::filename_anomalies("run.exe.") == Ids{"TRAILING_DOT_OR_SPACE"});
    CHECK(mime::final_extension("run.exe. . ") == "exe");
}

TEST_CASE("an NTFS data stream suffix is flagged and dropped from the "
          "extension") {
    CHECK(mime::filename_anomalies("pay.exe::$DATA") ==
          Ids{"DATA_STREAM_IN_FILENAME"});
    CHECK(mime::filename_anomalies("pay.exe::$data. ") ==
          Ids{"TRAILING_DOT_OR_SPACE", "DATA_STREAM_IN_FILENAME"});
    CHECK(mime::final_extension("pay.exe::$Data") == "exe");
    CHECK(mime::final_extension("pay.exe::$DATA. ::$DATA") == "exe");
    CHECK(mime::filename_anomalies("invoice.pdf::$DATA.exe").empty());
    CHECK(mime::windows_saved_name("::$DATA").empty());
    // A named stream, or one colon, is saved as the name before it too
    // (second break test).
    CHECK(mime::final_extension("pay.exe:$DATA") == "exe");
    CHECK(mime::final_extension("pay.exe:x.pdf:$DATA") == "exe");
    CHECK(mime::windows_saved_name("inner/run.bat:$data") == "inner/run.bat");
    CHECK(mime::filename_anomalies("pay.exe:x:$DATA") ==
          Ids{"DATA_STREAM_IN_FILENAME"});
}

TEST_CASE("a decoy extension before a long final extension is a double "
          "extension") {
    CHECK(mime::filename_anomalies("Payment.PDF.html") ==
          Ids{"DOUBLE_EXTENSION"});
    CHECK(mime::filename_anomalies("invoice.doc.js") ==
          Ids{"DOUBLE_EXTENSION"});
    CHECK(mime::filename_anomalies("scan.jpg      .scr") ==
          Ids{"DOUBLE_EXTENSION"});
}

TEST_CASE("archives and signatures around a document are no double "
          "extension") {
    CHECK(mime::filename_anomalies("report.pdf.gz").empty());
    CHECK(mime::filename_anomalies("letter.doc.p7m").empty());
    CHECK(mime::filename_anomalies("backup.tar.gz").empty());
    CHECK(mime::filename_anomalies("v1.2.notes").empty());
    CHECK(mime::filename_anomalies("notes.txt.gz").empty());
    CHECK(mime::filename_anomalies("notes.txt.Z").empty());
    CHECK(mime::filename_anomalies("dump.csv.zst").empty());
    CHECK(mime::filename_anomalies("invoice.pdf.zip").empty());
    CHECK(mime::filename_anomalies("photos.jpg.7z").empty());
}

TEST_CASE("a decoy before a program or a page is a double extension, "
          "wrapped or not") {
    CHECK(mime::filename_anomalies("pay.pdf.exe") == Ids{"DOUBLE_EXTENSION"});
    CHECK(mime::filename_anomalies("pay.pdf.scr") == Ids{"DOUBLE_EXTENSION"});
    CHECK(mime::filename_anomalies("files.zip.exe") == Ids{"DOUBLE_EXTENSION"});
    CHECK(mime::filename_anomalies("notes.html.js") == Ids{"DOUBLE_EXTENSION"});
    CHECK(mime::filename_anomalies("pay.pdf.exe.gz").empty());
    CHECK(mime::is_double_extension("pdf", "exe"));
    CHECK_FALSE(mime::is_double_extension("pdf", "pdf"));
    CHECK_FALSE(mime::is_double_extension("pdf", "gz"));
    CHECK_FALSE(mime::is_double_extension("exe", "pdf"));
}

TEST_CASE("a safe basename cannot leave its folder") {
    CHECK(mime::safe_basename("../../etc/passwd") == "passwd");
    CHECK(mime::safe_basename("..\\..\\boot.ini") == "boot.ini");
    CHECK(mime::safe_basename("..") == "attachment");
    CHECK(mime::safe_basename("/") == "attachment");
    CHECK(mime::safe_basename(".bashrc") == "bashrc");
    CHECK(mime::safe_basename("") == "attachment");
}

TEST_CASE("a safe basename shows hidden characters as underscores") {
    CHECK(mime::safe_basename("invoice\xE2\x80\xAE"
                              "fdp.exe") == "invoice_fdp.exe");
    CHECK(mime::safe_basename(std::string("scan.pdf\0.exe", 13)) ==
          "scan.pdf_.exe");
    CHECK(mime::safe_basename("a:b.txt. ") == "a_b.txt");
    CHECK(mime::safe_basename("caf\xC3\xA9.txt") == "caf\xC3\xA9.txt");
}

TEST_CASE("a safe basename is no device, option or broken line") {
    CHECK(mime::safe_basename("CON") == "_CON");
    CHECK(mime::safe_basename("nul.txt") == "_nul.txt");
    CHECK(mime::safe_basename("COM1.exe") == "_COM1.exe");
    CHECK(mime::safe_basename("lpt9") == "_lpt9");
    CHECK(mime::safe_basename("com0.txt") == "_com0.txt");
    CHECK(mime::safe_basename("CONIN$") == "_CONIN$");
    CHECK(mime::safe_basename("conout$.log") == "_conout$.log");
    CHECK(mime::safe_basename("LPT\xC2\xB9.txt") == "_LPT\xC2\xB9.txt");
    CHECK(mime::safe_basename("com10.txt") == "com10.txt");
    CHECK(mime::safe_basename("console.txt") == "console.txt");
    CHECK(mime::safe_basename("-rf") == "_-rf");
    CHECK(mime::safe_basename("a\xE2\x80\xA8"
                              "b.txt") == "a_b.txt");
    CHECK(mime::safe_basename("what?<now>|\"*\".txt") == "what__now_____.txt");
}

TEST_CASE("a safe basename is at most 200 bytes and keeps the extension") {
    std::string name = std::string(500, 'a') + ".exe";
    std::string safe = mime::safe_basename(name);
    CHECK(safe.size() == 200);
    CHECK(mime::final_extension(safe) == "exe");
}

TEST_CASE("a final extension of any length counts after a decoy, and a "
          "class id is flagged") {
    // Explorer hides ".{CLSID}" and opens the file with the class's
    // handler: this one is the HTML Application's (break test).
    const std::string clsid = "{3050F4D8-98B5-11CF-BB82-00AA00BDCE0B}";
    CHECK(mime::filename_anomalies("invoice.pdf.settingcontent-ms") ==
          Ids{"DOUBLE_EXTENSION"});
    // Long suffixes nothing runs by are names, not disguises.
    CHECK(mime::filename_anomalies("Invoice.pdf.acme-industries").empty());
    CHECK(mime::filename_anomalies("scan.pdf.20240501093000").empty());
    CHECK(mime::filename_anomalies("invoice.pdf." + clsid) ==
          Ids{"DOUBLE_EXTENSION", "CLSID_EXTENSION"});
    CHECK(mime::filename_anomalies("report." + clsid) ==
          Ids{"CLSID_EXTENSION"});
    CHECK(mime::is_clsid_extension("{3050f4d8-98b5-11cf-bb82-00aa00bdce0b}"));
    CHECK_FALSE(
        mime::is_clsid_extension("{3050F4D8-98B5-11CF-BB82-00AA00BDCE0}"));
    CHECK_FALSE(
        mime::is_clsid_extension("3050F4D8-98B5-11CF-BB82-00AA00BDCE0B"));
    // A suffix with a blank is no extension anything is registered for.
    CHECK(mime::filename_anomalies("minutes.txt.old version").empty());
}
