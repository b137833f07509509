// Unicode case folding and capitals, by GLib's tables.
#include "mail/unicode_fold.hpp"

#include <glib.h>

#include <algorithm>

namespace portcullis::mime {

namespace {

bool is_ascii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x80;
    });
}

bool is_utf8(std::string_view text) {
    return g_utf8_validate(text.data(), static_cast<gssize>(text.size()),
                           nullptr);
}

// Returns the NFC text of a GLib string and frees it.
std::optional<std::string> take_nfc(gchar* text) {
    if (text == nullptr)
        return std::nullopt;
    gchar* nfc = g_utf8_normalize(text, -1, G_NORMALIZE_NFC);
    g_free(text);
    if (nfc == nullptr)
        return std::nullopt;
    std::string out(nfc);
    g_free(nfc);
    return out;
}

} // namespace

std::optional<std::string> unicode_folded(std::string_view text) {
    // Bytes that are not UTF-8 (or hold a NUL) have no such reading.
    if (is_ascii(text) || !is_utf8(text))
        return std::nullopt;
    gchar* nfc = g_utf8_normalize(text.data(), static_cast<gssize>(text.size()),
                                  G_NORMALIZE_NFC);
    if (nfc == nullptr)
        return std::nullopt;
    // Case folding may leave a letter decomposed (U+0130 folds to "i"
    // and a combining dot), so the result is composed again.
    gchar* folded = g_utf8_casefold(nfc, -1);
    g_free(nfc);
    return take_nfc(folded);
}

bool written_in_capitals(std::string_view word, size_t min_chars) {
    bool capital = false;
    size_t chars = 0;
    if (is_ascii(word) || !is_utf8(word)) {
        for (char c : word) {
            if (c >= 'a' && c <= 'z')
                return false;
            capital = capital || (c >= 'A' && c <= 'Z');
            chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        }
        return capital && chars >= min_chars;
    }
    const char* end = word.data() + word.size();
    for (const char* p = word.data(); p < end; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_islower(c))
            return false;
        capital = capital || g_unichar_isupper(c) || g_unichar_istitle(c);
        ++chars;
    }
    return capital && chars >= min_chars;
}

} // namespace portcullis::mime
