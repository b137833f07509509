// What an attachment really is, whatever its name says: the true type
// from its content (libmagic), its name taken apart the way Windows would
// read it (bidi controls, NUL, trailing dots, double extensions), and the
// files inside it when it is an archive (libarchive, with limits).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::attachment {

/// A file name taken apart; every field is lower-case UTF-8.
struct NameInfo {
    std::string shown;     ///< the name with controls removed, for logs
    std::string extension; ///< the last extension, what Windows runs by
    std::vector<std::string> extensions; ///< every dotted suffix, in order
    bool bidi_control = false;           ///< U+202E and friends were present
    bool invisible = false;        ///< zero-width or other unseen characters
    bool nul = false;              ///< a NUL byte sat inside the name
    bool double_extension = false; ///< "pay.pdf.exe": a decoy before it
    bool padded = false; ///< blanks or trailing dots hide the extension
    bool clsid = false;  ///< ".{CLSID}": Explorer hides it and runs by it

    /// Returns true when the name is built to hide its real extension.
    bool disguised() const {
        return bidi_control || invisible || nul || double_extension || padded ||
               clsid;
    }
};

/// Returns a name taken apart as the receiving system would read it.
NameInfo examine_name(std::string_view name);

/// Returns the extension a mail reader saves an unnamed attachment of a
/// declared type under (Outlook names a text/html one ATT00001.htm), for
/// the types that open as a page, a script or a program; empty for the
/// rest.
std::string_view implied_extension(std::string_view declared_type);

/// Returns the MIME type libmagic finds in the content, such as
/// "application/x-dosexec"; the magic database loads once per process.
std::string true_type(std::string_view content);

/// Returns true when the true type is an archive format we list.
bool is_archive_type(std::string_view type);

/// Returns true when content is listed as an archive: its true type is an
/// archive format, or it ends in a ZIP directory an extractor would open
/// and is not a document under a name its own application opens.
bool is_archive(std::string_view content, std::string_view type,
                const std::vector<std::string>& names);

/// Limits on listing an archive; a bomb stops at the first one reached.
struct ArchiveLimits {
    int max_depth = 3;                   ///< archives inside archives
    size_t max_entries = 1000;           ///< across all levels
    size_t max_entry_bytes = 32u << 20;  ///< read of one entry
    size_t max_total_bytes = 128u << 20; ///< read of all entries
};

/// One file inside an archive.
struct Entry {
    std::string path; ///< "outer.zip/inner.zip/file.exe" style, first name
    /// Every name an extractor may give the file, the listed one first:
    /// a ZIP member's central directory, local header and Unicode Path
    /// names; a tar member's pax or GNU long name, ustar name and the
    /// names of the extension headers before it; a compressed file's
    /// stored name and the one its suffix gives.
    std::vector<std::string> names;
    std::string true_type; ///< from its first bytes
    uint64_t size = 0;     ///< as the archive declares it
    int depth = 1;
    bool encrypted = false;
};

/// The files inside an archive and how the listing ended.
struct Listing {
    std::vector<Entry> entries;
    std::string limit;         ///< the limit that stopped the listing, or empty
    std::string error;         ///< why the archive could not be read, or empty
    bool encrypted = false;    ///< some entry could not be read without a key
    bool names_differ = false; ///< extractors would name some entry apart
    /// Some entry is a mail message (.eml) or a TNEF file (winmail.dat),
    /// which a reader opens to show the files inside; those were not
    /// listed.
    bool container_unlisted = false;
};

/// Lists an archive's files, nested archives included, within limits.
Listing list_archive(std::string_view content, std::string_view name,
                     const ArchiveLimits& limits);

} // namespace portcullis::attachment
