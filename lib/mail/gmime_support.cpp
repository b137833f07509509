// GMime setup. g_mime_init() is not thread-safe, so it runs exactly once.
#include "mail/gmime_support.hpp"

#include <mutex>

namespace portcullis::mime {

void ensure_gmime() {
    static std::once_flag once;
    std::call_once(once, [] { g_mime_init(); });
}

} // namespace portcullis::mime
