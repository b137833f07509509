#include "core/utc_time.hpp"

#include <ctime>

namespace portcullis {

std::string utc_time(int64_t seconds, const char* format) {
    std::time_t when = static_cast<std::time_t>(seconds);
    std::tm utc{};
    if (!::gmtime_r(&when, &utc))
        return {};
    char text[64];
    if (std::strftime(text, sizeof text, format, &utc) == 0)
        return {};
    return text;
}

std::string utc_now(const char* format) {
    return utc_time(std::time(nullptr), format);
}

} // namespace portcullis
