// Attachment file names as an attacker writes them: bidi controls that
// reverse the shown extension, zero-width and control characters, NULs
// that split one name into two, trailing dots Windows drops, and decoy
// double extensions. Also the safe name used when writing a file to disk.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace portcullis::mime {

/// Returns the anomaly ids a file name raises, in a fixed order.
std::vector<std::string> filename_anomalies(std::string_view name);

/// Returns true when a final extension after a decoy makes a disguised
/// double extension: the decoy is one a reader trusts on sight (pdf, jpg,
/// txt, ...), and the final one differs from it and is no wrapper, a
/// compression, archive or signature around a whole file (report.pdf.gz,
/// letter.doc.p7m), which gives the inner name back when unwrapped. Both
/// are lower case, without the dot.
bool is_double_extension(std::string_view decoy, std::string_view final);

/// Returns true for an extension that is a class id,
/// "{3050F4D8-98B5-11CF-BB82-00AA00BDCE0B}" (without the dot): Explorer
/// never shows it and opens the file with that class's handler, so
/// "report.txt.{...}" looks like a text file and may run as a program.
bool is_clsid_extension(std::string_view extension);

/// Returns the name Windows saves a file under: trailing dots, blanks and
/// an NTFS data stream suffix ("pay.exe::$DATA") dropped.
std::string_view windows_saved_name(std::string_view name);

/// Returns the final extension as Windows resolves it (see
/// windows_saved_name), lower case, without the dot; empty when none.
std::string final_extension(std::string_view name);

/// Returns true when name holds a character a reader cannot see or that
/// reorders what is shown: controls, NUL, bidi and zero-width characters.
bool has_hidden_characters(std::string_view name);

/// Returns name with every hidden character written as \uXXXX.
std::string escape_hidden(std::string_view name);

/// Returns a name safe to create inside a folder: the last path element,
/// hidden characters and separators replaced, no leading dot, no
/// trailing dot or space, at most 200 bytes; "attachment" when nothing
/// is left.
std::string safe_basename(std::string_view name);

} // namespace portcullis::mime
