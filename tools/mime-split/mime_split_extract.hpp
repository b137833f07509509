// Writing decoded attachments into a folder without trusting their names:
// the last path element only, hidden characters replaced, and a file is
// only ever created, never overwritten or followed through a symlink.
#pragma once

#include "core/result.hpp"

#include <string>
#include <string_view>
#include <unordered_map>

namespace portcullis::mime_split {

/// A folder that attachments are extracted into, open for the whole run.
class ExtractDir {
public:
    /// Opens the folder; an error names it and the OS reason.
    static Result<ExtractDir> open(const std::string& path);

    ExtractDir(ExtractDir&& other) noexcept;
    ExtractDir& operator=(ExtractDir&&) = delete;
    ~ExtractDir();

    /// Writes data under a safe form of name that no file has yet;
    /// returns the path written.
    Result<std::string> write(std::string_view name, std::string_view data);

    /// Removes a file that write returned.
    void remove(const std::string& path);

private:
    ExtractDir(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

    int create_unique(const std::string& safe, std::string& chosen);

    int fd_ = -1;
    std::string path_;
    std::unordered_map<std::string, int> next_suffix_;
};

} // namespace portcullis::mime_split
