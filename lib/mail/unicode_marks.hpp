// The one set of characters a reader cannot see, shared by the file name
// checks, the attachment name reader, the zero-width anomaly and the text
// cleaner, so that no two tools judge a disguised name or word apart.
#pragma once

#include "core/strings.hpp"

#include <cstddef>
#include <string_view>

namespace portcullis::mail {

// Unicode's Bidi_Control property (PropList.txt): the marks, embeddings,
// overrides and isolates that reorder what follows them on screen, as in
// "invoice<U+202E>fdp.exe" shown as "invoiceexe.pdf".
constexpr bool is_bidi_control(char32_t cp) {
    return cp == 0x061C || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

// Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt):
// what a renderer shows as nothing, even when it has no glyph for it.
// That covers the bidi controls, zero-width spaces and joiners, the soft
// hyphen, U+180E (a format character since Unicode 6.3), the Hangul
// fillers abused as blank names, tag characters used to smuggle text,
// and the reserved slots kept ignorable for characters yet to come.
// Variation selectors (U+180B-180D, U+180F, U+FE00-FE0F, U+E0100-E01EF)
// are left out: they pick the glyph of the character before them and
// hide nothing, and U+FE0F follows most emoji in ordinary mail, so
// counting them would mark every emoji as an obfuscation.
constexpr bool is_invisible(char32_t cp) {
    if (cp < 0x00AD)
        return false;
    return cp == 0x00AD || cp == 0x034F || cp == 0x061C ||
           (cp >= 0x115F && cp <= 0x1160) || (cp >= 0x17B4 && cp <= 0x17B5) ||
           cp == 0x180E || (cp >= 0x200B && cp <= 0x200F) ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) ||
           cp == 0x3164 || cp == 0xFEFF || cp == 0xFFA0 ||
           (cp >= 0xFFF0 && cp <= 0xFFF8) || (cp >= 0x1BCA0 && cp <= 0x1BCA3) ||
           (cp >= 0x1D173 && cp <= 0x1D17A) ||
           (cp >= 0xE0000 && cp <= 0xE00FF) || (cp >= 0xE01F0 && cp <= 0xE0FFF);
}

/// Returns true for an invisible code point that is not a bidi control.
constexpr bool is_zero_width(char32_t cp) {
    return is_invisible(cp) && !is_bidi_control(cp);
}

// The strict decoder lives in core, beside its encoder; these names
// keep it reachable as the mail code has always called it.
using portcullis::utf8_at;
using portcullis::Utf8Char;

/// Returns the length in bytes of an invisible character at byte i, or 0.
constexpr size_t invisible_length(std::string_view text, size_t i) {
    if (static_cast<unsigned char>(text[i]) < 0xC2)
        return 0;
    Utf8Char c = utf8_at(text, i);
    return c.length != 0 && is_invisible(c.value) ? c.length : 0;
}

} // namespace portcullis::mail
