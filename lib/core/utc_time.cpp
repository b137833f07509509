#include "core/utc_time.hpp"

#include <ctime>

namespace portcullis {

std::string utc_now(const char* format) {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char text[64];
    if (std::strftime(text, sizeof text, format, &utc) == 0)
        return {};
    return text;
}

} // namespace portcullis
