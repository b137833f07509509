// Naming what a path is when it should have been a regular file. Files
// a tool writes or reads as state (a log, a database, a quota file) are
// refused when they are anything else: a FIFO blocks the open or the
// read for ever, and a device takes the bytes and keeps none.
#pragma once

#include <sys/stat.h>

#include <string_view>

namespace portcullis {

/// Returns what a file that is no regular file is, as an error names it.
inline std::string_view file_kind(mode_t mode) {
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device";
    if (S_ISDIR(mode))
        return "a folder";
    return "a special file";
}

} // namespace portcullis
