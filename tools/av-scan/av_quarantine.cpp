// The quarantine: plain files a reviewer can read, release with a pipe
// into sendmail, or delete. Names come from the record id only after
// sanitising, and the .eml and .json appear together, complete and on
// disk, or not at all.
#include "av_actions.hpp"

#include "core/digest.hpp"
#include "core/utc_time.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
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

// Writes data to a temporary name in dir and syncs it; returns that
// name. On failure nothing is left: a full disk must not leave half a
// message for a reviewer, nor one more with each retry.
Result<std::string> write_temp(const std::string& dir, const std::string& name,
                               std::string_view data) {
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
    if (!written) {
        ::unlink(tmp_path.c_str());
        return written.error();
    }
    return tmp_path;
}

// Renames each temporary file to its final name, the .json before the
// .eml: a reviewer who finds an .eml finds its verdict beside it. On any
// failure every file of the pair, temporary or renamed, is removed.
Status move_pair_into_place(const std::string& dir, const std::string (&tmp)[2],
                            const std::string (&final_path)[2]) {
    Status moved;
    size_t renamed = 0;
    for (; renamed < 2; ++renamed) {
        const char* to = final_path[renamed].c_str();
        if (::rename(tmp[renamed].c_str(), to) != 0) {
            moved = os_error(final_path[renamed]);
            break;
        }
    }
    if (moved)
        moved = sync_dir(dir);
    if (moved)
        return {};
    for (size_t i = 0; i < 2; ++i)
        ::unlink(i < renamed ? final_path[i].c_str() : tmp[i].c_str());
    return moved;
}

std::string today() {
    return utc_now("%Y-%m-%d");
}

// The same message for the same envelope, held again (a mail server's
// retry of a message deferred after the scan), has the same name: it is
// held once. The arrival time and the verdict are left out, as a retry
// gives them anew.
std::string held_name(std::string_view id, std::string_view message,
                      const nlohmann::ordered_json& record) {
    digest::Sha256 sha;
    sha.update(message);
    nlohmann::ordered_json envelope =
        record.value("envelope", nlohmann::ordered_json::object());
    for (const char* key : {"mail_from", "rcpt"}) {
        sha.update(std::string_view("\0", 1));
        if (auto found = envelope.find(key); found != envelope.end())
            sha.update(found->dump(-1, ' ', false,
                                   nlohmann::json::error_handler_t::replace));
    }
    return sanitise_id(id) + "-" + sha.hex().substr(0, 24);
}

// Whether the pair at these names holds this message: its .eml the very
// bytes, beside a .json. A file planted at the name, or a pair cut short,
// is no held copy (a break test found the message lost so): it is
// written anew over it.
bool already_held(const std::string& eml_path, const std::string& json_path,
                  std::string_view message) {
    struct stat st {};
    if (::lstat(json_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size == 0)
        return false;
    int fd = ::open(eml_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return false;
    bool same = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                static_cast<uint64_t>(st.st_size) == message.size();
    std::string chunk(64 * 1024, '\0');
    size_t at = 0;
    while (same && at < message.size()) {
        ssize_t n = ::read(fd, chunk.data(), chunk.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || message.compare(at, static_cast<size_t>(n), chunk.data(),
                                      static_cast<size_t>(n)) != 0)
            same = false;
        at += n > 0 ? static_cast<size_t>(n) : 0;
    }
    ::close(fd);
    return same;
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
    // No leading dot (a hidden file) or dash (read as an option by rm,
    // mv or less): the id of stdin is "-".
    while (!out.empty() && (out.front() == '.' || out.front() == '-'))
        out.erase(0, 1);
    return out.empty() ? "message" : out;
}

Status check_quarantine(const std::string& state_dir) {
    std::string base = state_dir + "/quarantine";
    for (const std::string& d : {state_dir, base}) {
        if (auto status = make_dir(d); !status)
            return Error{d, status.error().message, ExitCode::unavailable};
    }
    std::string probe = base + "/.probe.XXXXXX";
    int fd = ::mkstemp(probe.data());
    if (fd < 0)
        return Error{base, std::strerror(errno), ExitCode::unavailable};
    ::close(fd);
    ::unlink(probe.c_str());
    return {};
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
    std::string name = held_name(id, message, record);
    std::string eml_path = dir + "/" + name + ".eml";
    if (already_held(eml_path, dir + "/" + name + ".json", message))
        return eml_path;
    // Two holders of one message at once each write their own pair and
    // rename it into place: the second replaces the first's bytes with
    // the same bytes.
    std::string temp = name + "-" + unique_suffix();
    std::string json =
        record.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    auto eml_tmp = write_temp(dir, temp + ".eml", message);
    if (!eml_tmp)
        return eml_tmp.error();
    auto json_tmp = write_temp(dir, temp + ".json", json + "\n");
    if (!json_tmp) {
        ::unlink(eml_tmp->c_str());
        return json_tmp.error();
    }
    std::string final_path[2] = {dir + "/" + name + ".json", eml_path};
    if (auto s = move_pair_into_place(dir, {*json_tmp, *eml_tmp}, final_path);
        !s)
        return s.error();
    return eml_path;
}

} // namespace portcullis::av
