// A folder under /tmp for one test, removed with everything in it when
// the test ends.
#pragma once

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace portcullis::testing {

struct TempDir {
    std::string path;

    TempDir() {
        char name[] = "/tmp/portcullis-test-XXXXXX";
        REQUIRE(::mkdtemp(name) != nullptr);
        path = name;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    /// Writes text to a file below the folder, making the folders on the
    /// way; returns the file's path.
    std::string write(const std::string& name, const std::string& text) const {
        std::filesystem::path file = std::filesystem::path(path) / name;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary) << text;
        return file.string();
    }
};

} // namespace portcullis::testing
