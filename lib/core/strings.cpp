// Text from mail shown to an administrator. ESC, CSI and OSC sequences in
// a file name or a queue id would otherwise drive the terminal that shows
// them: retitle it, rewrite lines above, or answer back as typed input.
#include "core/strings.hpp"

#include <fmt/format.h>

namespace portcullis {

namespace {

void escape_bytes(std::string& out, std::string_view bytes) {
    for (unsigned char c : bytes)
        out += fmt::format("\\x{:02x}", c);
}

// The C1 controls act as 8-bit ESC sequences on terminals that take
// them; written in UTF-8 they are C2 80 to C2 9F. The bidirectional
// controls reorder what follows them on the line, so that a name read
// as "invoice_exe.pdf" may be held as "invoice_\u202Efdp.exe" and a
// log line may seem to say what it does not. The line and paragraph
// separators (U+2028, U+2029) start a new line in many mail readers, and
// a report mailed from cron could be given a row it never had.
bool is_control(char32_t cp) {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C ||
           cp == 0x200E || cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

} // namespace

std::string terminal_safe(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        Utf8Char c = utf8_at(text, i);
        if (c.length == 0) {
            escape_bytes(out, text.substr(i, 1));
            ++i;
            continue;
        }
        if (is_control(c.value))
            escape_bytes(out, text.substr(i, c.length));
        else
            out.append(text.substr(i, c.length));
        i += c.length;
    }
    return out;
}

} // namespace portcullis
