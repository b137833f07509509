// mime-split's library alone, for the benchmark: reads each file as the
// bare GMime walk does, runs mime::parse and hashes every leaf, without
// the filter loop, the input layer or JSON. The gap between this line
// and mime-split is the tool around the parse.
#include "core/digest.hpp"
#include "mail/mime.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace portcullis;

int main(int argc, char** argv) {
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        for (const auto& entry :
             std::filesystem::recursive_directory_iterator(argv[i])) {
            if (entry.is_regular_file() &&
                entry.path().filename().string()[0] != '.')
                files.push_back(entry.path().string());
        }
    }
    Limits limits;
    long messages = 0, leaves = 0;
    for (const std::string& path : files) {
        std::ifstream in(path, std::ios::binary);
        std::string text(std::filesystem::file_size(path), '\0');
        in.read(text.data(), static_cast<std::streamsize>(text.size()));
        auto tree = mime::parse(text, limits);
        ++messages;
        if (!tree)
            continue;
        for (const mime::Part& part : tree->parts) {
            if (!part.is_multipart && !part.is_message)
                leaves += !digest::sha256_hex(part.decoded).empty();
        }
    }
    std::printf("%ld %ld\n", messages, leaves);
    return 0;
}
