// The baseline for mime-split's benchmark: the least a GMime-based tool
// must do per message. Reads each file named on the command line (or
// found under a folder), parses it from memory, walks the tree and decodes
// every leaf once. Prints messages, bytes and leaves on stdout.
#include <gmime/gmime.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

struct Totals {
    long messages = 0;
    long bytes = 0;
    long leaves = 0;
    long decoded = 0;
};

void walk(GMimeObject* object, Totals& totals) {
    if (GMIME_IS_MULTIPART(object)) {
        GMimeMultipart* multipart = GMIME_MULTIPART(object);
        int count = g_mime_multipart_get_count(multipart);
        for (int i = 0; i < count; ++i)
            walk(g_mime_multipart_get_part(multipart, i), totals);
        return;
    }
    if (GMIME_IS_MESSAGE_PART(object)) {
        GMimeMessage* inner =
            g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
        if (inner && g_mime_message_get_mime_part(inner))
            walk(g_mime_message_get_mime_part(inner), totals);
        return;
    }
    if (!GMIME_IS_PART(object))
        return;
    ++totals.leaves;
    GMimeDataWrapper* content = g_mime_part_get_content(GMIME_PART(object));
    if (!content)
        return;
    GMimeStream* out = g_mime_stream_mem_new();
    g_mime_data_wrapper_write_to_stream(content, out);
    totals.decoded +=
        g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out))->len;
    g_object_unref(out);
}

void parse_file(const std::string& path, Totals& totals) {
    // One sized read, as mime-split's own input layer does.
    std::ifstream in(path, std::ios::binary);
    std::string text(std::filesystem::file_size(path), '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    GMimeStream* stream =
        g_mime_stream_mem_new_with_buffer(text.data(), text.size());
    GMimeParser* parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage* message = g_mime_parser_construct_message(parser, nullptr);
    if (message) {
        if (GMimeObject* body = g_mime_message_get_mime_part(message))
            walk(body, totals);
        g_object_unref(message);
    }
    g_object_unref(parser);
    g_object_unref(stream);
    ++totals.messages;
    totals.bytes += static_cast<long>(text.size());
}

} // namespace

int main(int argc, char** argv) {
    g_mime_init();
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        if (!std::filesystem::is_directory(argv[i])) {
            files.push_back(argv[i]);
            continue;
        }
        for (const auto& entry :
             std::filesystem::recursive_directory_iterator(argv[i])) {
            if (entry.is_regular_file() &&
                entry.path().filename().string()[0] != '.')
                files.push_back(entry.path().string());
        }
    }
    Totals totals;
    for (const std::string& path : files)
        parse_file(path, totals);
    std::printf("%ld %ld %ld %ld\n", totals.messages, totals.bytes,
                totals.leaves, totals.decoded);
    return 0;
}
