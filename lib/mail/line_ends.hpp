// Bare CRs as line ends. RFC 5322 allows a CR only before an LF, but
// readers and relays do not agree: Outlook shows a bare CR in text as a
// line break, and qmail-remote (notqmail) relays one as CR LF. A message
// whose lines end in bare CRs alone, or whose header fields or part
// headers are split by them, is one line to a parser that ends lines at
// LF only, and a file in it passes unseen, yet the next hop or reader
// may show it. So every view reads a bare CR as a line end.
#pragma once

#include <string>
#include <string_view>

namespace portcullis::mail {

/// Returns true when the text holds a CR that no LF follows.
bool has_bare_cr(std::string_view text);

/// Returns a copy of text with every bare CR made an LF. The copy is as
/// long as text, so an offset in one is the same place in the other.
std::string bare_cr_as_lf(std::string_view text);

/// Returns the offset of the byte that ends the line starting at pos:
/// its LF, or a bare CR before it; npos for a last line without an end.
/// Each call reads the line alone, so walking a text line by line is
/// linear however its lines end.
size_t line_end(std::string_view text, size_t pos);

/// The bytes a view reads: text itself, or its copy with bare CRs made
/// LFs (kept in storage) when it holds any.
std::string_view readable_line_ends(std::string_view text,
                                    std::string& storage);

} // namespace portcullis::mail
