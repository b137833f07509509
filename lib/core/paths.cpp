// Locating the share folder.
#include "core/paths.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

namespace portcullis::paths {

namespace {

bool is_directory(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string program_dir() {
    char buffer[4096];
    ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    if (n <= 0)
        return "";
    std::string path(buffer, static_cast<size_t>(n));
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? "" : path.substr(0, slash);
}

} // namespace

std::string state_dir() {
    if (const char* env = std::getenv("PORTCULLIS_STATE_DIR"); env && *env)
        return env;
    return "/var/lib/portcullis";
}

std::string share_dir() {
    if (const char* env = std::getenv("PORTCULLIS_SHARE"); env && *env)
        return env;
    if (is_directory(PORTCULLIS_SHARE_DIR))
        return PORTCULLIS_SHARE_DIR;
    std::string beside = program_dir() + "/../share";
    if (is_directory(beside + "/doc"))
        return beside;
    return PORTCULLIS_SHARE_DIR;
}

} // namespace portcullis::paths
