// The quarantine: plain files a reviewer can read, release with a pipe
// into sendmail, or delete. Names come from the record id only after
// sanitising, and a file appears only once it is complete and on disk.
#include "av_actions.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fmt/format.h>

namespace portcullis::av {

namespace {

Error os_error(const std::string& path) {
    return Error{path, std::strerror(errno), ExitCode::temp_fail};
}

Status make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0700) == 0 || errno == EEXIST)
        return {};
    return os_error(path);
}

Status write_all(int fd, std::string_view data, const std::string& path) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return os_error(path);
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

Status sync_dir(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return os_error(dir);
    int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0)
        return os_error(dir);
    return {};
}

// Write to a temporary name, sync, then rename: a reader never sees half
// a file, and a crash leaves at worst a stray ".tmp-" file.
Status write_atomically(const std::string& dir, const std::string& name,
                        std::string_view data) {
    std::string final_path = dir + "/" + name;
    std::string tmp_path = dir + "/.tmp-" + name;
    int fd = ::open(tmp_path.c_str(),
                    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return os_error(tmp_path);
    Status written = write_all(fd, data, tmp_path);
    if (written && ::fsync(fd) != 0)
        written = os_error(tmp_path);
    if (::close(fd) != 0 && written)
        written = os_error(tmp_path);
    if (written && ::rename(tmp_path.c_str(), final_path.c_str()) != 0)
        written = os_error(final_path);
    if (!written) {
        ::unlink(tmp_path.c_str());
        return written;
    }
    return sync_dir(dir);
}

std::string today() {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char text[16];
    std::strftime(text, sizeof text, "%Y-%m-%d", &utc);
    return text;
}

// Unique within the process and across processes sharing the folder.
std::string unique_suffix() {
    static std::atomic<unsigned> counter{0};
    auto now = std::chrono::system_clock::now().time_since_epoch();
    return fmt::format(
        "{}-{}-{}",
        std::chrono::duration_cast<std::chrono::microseconds>(now).count(),
        ::getpid(), counter++);
}

} // namespace

std::string sanitise_id(std::string_view id) {
    std::string out;
    for (unsigned char c : id) {
        bool safe = std::isalnum(c) || c == '.' || c == '-' || c == '_';
        out += safe ? static_cast<char>(c) : '_';
    }
    // Only the end of a long id (a path's file name) is worth keeping.
    if (out.size() > 80)
        out.erase(0, out.size() - 80);
    while (!out.empty() && out.front() == '.')
        out.erase(0, 1);
    return out.empty() ? "message" : out;
}

Result<std::string> quarantine(const std::string& state_dir,
                               std::string_view id, std::string_view message,
                               const nlohmann::ordered_json& record) {
    std::string base = state_dir + "/quarantine";
    std::string dir = base + "/" + today();
    for (const std::string& d : {state_dir, base, dir}) {
        if (auto status = make_dir(d); !status)
            return status.error();
    }
    std::string name = sanitise_id(id) + "-" + unique_suffix();
    if (auto s = write_atomically(dir, name + ".eml", message); !s)
        return s.error();
    std::string json =
        record.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    if (auto s = write_atomically(dir, name + ".json", json + "\n"); !s)
        return s.error();
    return dir + "/" + name + ".eml";
}

} // namespace portcullis::av
