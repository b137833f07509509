// libclamav glue. Heuristic alerts for exceeded limits and encrypted
// archives are switched on so that neither can pass as clean; without
// heuristic precedence a real signature match still wins over them. The
// limits libclamav keeps in silence are kept by av_inspect.
#include "av_engine.hpp"

#include "av_inspect.hpp"

#include <clamav.h>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <mutex>

namespace portcullis::av {

struct Watcher::Stat {
    cl_stat stat{};
    std::chrono::steady_clock::time_point checked;
};

namespace {

// A folder is looked at no more than once a second: freshclam updates
// hourly, and a stat of every file per message would cost more than it
// buys at thousands of messages a second.
constexpr auto refresh_interval = std::chrono::seconds(1);

// libclamav cuts a ZIP member at its file size limit and scans the head
// alone, with no alert; the cut falls up to one output buffer short of
// that limit. Set this much above ours, every file it cut is still over
// ours, where Inspection sees it.
constexpr uint64_t cut_margin_bytes = 1u << 20;

Error clam_error(std::string context, cl_error_t code) {
    return Error{std::move(context), cl_strerror(code), ExitCode::unavailable};
}

// The first error libclamav reported during the scan on this thread.
thread_local std::string* scan_error = nullptr;

// libclamav would print its own lines on stderr; av-scan writes one line
// of its own with the context the library lacks. An error during a scan
// is kept: libclamav 1.4 reports a scan whose temporary folder it could
// not create as CL_CLEAN, and only this message tells the two apart.
void keep_error(cl_msg severity, const char*, const char* message, void*) {
    if (severity != CL_MSG_ERROR || !scan_error || !scan_error->empty())
        return;
    std::string_view text = message ? message : "unknown error";
    while (!text.empty() && (text.back() == '\n' || text.back() == '.'))
        text.remove_suffix(1);
    *scan_error = text;
}

Status init_once() {
    static std::once_flag once;
    static cl_error_t result = CL_SUCCESS;
    std::call_once(once, [] {
        cl_set_clcb_msg(keep_error);
        result = cl_init(CL_INIT_DEFAULT);
    });
    if (result != CL_SUCCESS)
        return clam_error("libclamav", result);
    return {};
}

Status set_limits(cl_engine* engine, const ScanLimits& limits) {
    struct Setting {
        cl_engine_field field;
        long long value;
    };
    const Setting settings[] = {
        {CL_ENGINE_MAX_RECURSION, limits.max_recursion},
        {CL_ENGINE_MAX_FILES, limits.max_files},
        {CL_ENGINE_MAX_FILESIZE,
         static_cast<long long>(limits.max_file_bytes + cut_margin_bytes)},
        {CL_ENGINE_MAX_SCANSIZE, static_cast<long long>(limits.max_scan_bytes)},
        {CL_ENGINE_MAX_SCANTIME, limits.max_scan_time_ms},
        // A clean result is cached by content, and a ZIP whose member was
        // cut short would be cached clean: the next message holding it
        // would never show that member to Inspection again.
        {CL_ENGINE_DISABLE_CACHE, 1},
    };
    for (const Setting& s : settings) {
        cl_error_t rc = cl_engine_set_num(engine, s.field, s.value);
        if (rc != CL_SUCCESS)
            return clam_error("engine limits", rc);
    }
    return {};
}

// libclamav takes at most 2 GiB per file and caps a larger setting; an
// inner file over the limit in force, less the margin, may be cut short.
uint64_t whole_file_bytes(cl_engine* engine, const ScanLimits& limits) {
    long long in_force =
        cl_engine_get_num(engine, CL_ENGINE_MAX_FILESIZE, nullptr);
    uint64_t whole = in_force > static_cast<long long>(cut_margin_bytes)
                         ? static_cast<uint64_t>(in_force) - cut_margin_bytes
                         : 0;
    return std::min(whole, limits.max_file_bytes);
}

// Called for the part and for every file unpacked from it, before it is
// unpacked further; CL_BREAK skips the file as if clean, and the limit
// noted says it was not. Nothing may throw through libclamav's C frames.
cl_error_t inspect_file(int, const char*, const char**, size_t, const char*,
                        size_t file_bytes, const char* file, uint32_t depth,
                        uint32_t, void* context) {
    auto* inspection = static_cast<Inspection*>(context);
    if (!inspection || !file)
        return CL_CLEAN;
    try {
        return inspection->admit({file, file_bytes}, depth) ? CL_CLEAN
                                                            : CL_BREAK;
    } catch (...) {
        inspection->note("Portcullis.Limits.Memory");
        return CL_BREAK;
    }
}

cl_scan_options scan_options(ScanMode mode) {
    cl_scan_options options{};
    options.general = CL_SCAN_GENERAL_HEURISTICS;
    options.heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX |
                        CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE |
                        CL_SCAN_HEURISTIC_ENCRYPTED_DOC;
    if (mode == ScanMode::whole_message)
        return options;
    // Our two MIME views decode the message; libclamav unpacks what is
    // inside the parts, including a mail attached as a plain file.
    options.parse = ~0u;
    return options;
}

Outcome classify(std::string_view name) {
    if (name.rfind("Heuristics.Limits.Exceeded", 0) == 0)
        return Outcome::scan_limit;
    if (name.rfind("Heuristics.Encrypted", 0) == 0)
        return Outcome::encrypted;
    return Outcome::infected;
}

bool is_limit_error(cl_error_t rc) {
    return rc == CL_ETIMEOUT || rc == CL_EMAXREC || rc == CL_EMAXSIZE ||
           rc == CL_EMAXFILES;
}

} // namespace

std::string_view to_string(Outcome outcome) {
    switch (outcome) {
    case Outcome::clean:
        return "clean";
    case Outcome::infected:
        return "infected";
    case Outcome::scan_limit:
        return "scan_limit";
    case Outcome::encrypted:
        return "encrypted";
    }
    return "clean";
}

Engine::~Engine() {
    if (engine_)
        cl_engine_free(engine_);
}

namespace {

// Why a signature folder gave none: one that is not there says so, as
// "no signatures found" sent an administrator looking for empty files.
Error no_signatures(const std::string& db_dir) {
    struct stat st {};
    if (::stat(db_dir.c_str(), &st) != 0)
        return Error{
            db_dir,
            fmt::format("no signatures found: {}", std::strerror(errno)),
            ExitCode::unavailable};
    if (!S_ISDIR(st.st_mode))
        return Error{db_dir, "no signatures found: not a folder",
                     ExitCode::unavailable};
    return Error{db_dir, "no signatures found", ExitCode::unavailable};
}

} // namespace

Result<std::unique_ptr<Engine>> Engine::load(const std::string& db_dir,
                                             const EngineSettings& settings) {
    if (auto status = init_once(); !status)
        return status.error();
    std::unique_ptr<Engine> out(new Engine);
    out->engine_ = cl_engine_new();
    if (!out->engine_)
        return Error{"libclamav", "cannot create engine", ExitCode::software};

    unsigned signatures = 0;
    cl_error_t rc =
        cl_load(db_dir.c_str(), out->engine_, &signatures, CL_DB_STDOPT);
    // A folder that is missing, unreadable or empty must never scan clean.
    if (rc == CL_EOPEN || rc == CL_ESTAT || (rc == CL_SUCCESS && !signatures))
        return no_signatures(db_dir);
    if (rc != CL_SUCCESS)
        return clam_error(db_dir, rc);
    if (auto status = set_limits(out->engine_, settings.limits); !status)
        return status.error();
    cl_engine_set_clcb_file_inspection(out->engine_, inspect_file);
    if (!settings.tmp_dir.empty()) {
        rc = cl_engine_set_str(out->engine_, CL_ENGINE_TMPDIR,
                               settings.tmp_dir.c_str());
        if (rc != CL_SUCCESS)
            return clam_error(settings.tmp_dir, rc);
    }
    rc = cl_engine_compile(out->engine_);
    if (rc != CL_SUCCESS)
        return clam_error(db_dir, rc);
    out->signatures_ = signatures;
    out->limits_ = settings.limits;
    out->whole_file_bytes_ = whole_file_bytes(out->engine_, settings.limits);
    return out;
}

Result<ScanResult> Engine::scan(std::string_view data, ScanMode mode) const {
    // libclamav 1.4 answers a buffer over its file size limit with a
    // detection that has no name, which would read as a virus: a big
    // clean attachment deleted. What is too big is a limit, said here.
    if (data.size() > limits_.max_file_bytes)
        return ScanResult{Outcome::scan_limit, "Portcullis.Limits.MaxFileSize"};
    cl_fmap_t* map = cl_fmap_open_memory(data.data(), data.size());
    if (!map)
        return Error{"libclamav", "cannot map buffer", ExitCode::temp_fail};
    cl_scan_options options = scan_options(mode);
    const char* name = nullptr;
    unsigned long scanned = 0;
    std::string error;
    scan_error = &error;
    // The raw message is not unpacked: there is nothing to inspect.
    Inspection inspection(limits_, whole_file_bytes_);
    void* context = mode == ScanMode::content ? &inspection : nullptr;
    cl_error_t rc = cl_scanmap_callback(map, nullptr, &name, &scanned, engine_,
                                        &options, context);
    scan_error = nullptr;
    cl_fmap_close(map);

    // A virus found is a verdict even if part of the scan failed; any
    // other failure leaves the buffer unscanned, never clean.
    // A signature always has a name; a detection without one is some
    // limit libclamav did not name, never proof of a virus.
    if (rc == CL_VIRUS && (!name || !*name))
        return ScanResult{Outcome::scan_limit, "Portcullis.Limits.Unnamed"};
    if (rc == CL_VIRUS)
        return ScanResult{classify(name), name};
    // What libclamav found clean held a limit it kept in silence.
    if (rc == CL_CLEAN && error.empty() && !inspection.limit().empty())
        return ScanResult{Outcome::scan_limit, std::string(inspection.limit())};
    if (is_limit_error(rc))
        return ScanResult{Outcome::scan_limit, cl_strerror(rc)};
    if (rc == CL_CLEAN && error.empty())
        return ScanResult{};
    if (rc == CL_CLEAN)
        return Error{"libclamav", error, ExitCode::temp_fail};
    return Error{"libclamav", cl_strerror(rc), ExitCode::temp_fail};
}

Watcher::Watcher(std::string db_dir, EngineSettings settings)
    : db_dir_(std::move(db_dir)), settings_(std::move(settings)) {}

Watcher::~Watcher() {
    if (stat_)
        cl_statfree(&stat_->stat);
}

Status Watcher::watch() {
    if (auto status = init_once(); !status)
        return status;
    if (stat_)
        cl_statfree(&stat_->stat);
    stat_ = std::make_unique<Stat>();
    stat_->checked = std::chrono::steady_clock::now();
    cl_error_t rc = cl_statinidir(db_dir_.c_str(), &stat_->stat);
    if (rc != CL_SUCCESS)
        return clam_error(db_dir_, rc);
    return {};
}

Status check_tmp_dir(const std::string& tmp_dir) {
    std::string dir = tmp_dir;
    if (dir.empty()) {
        const char* env = std::getenv("TMPDIR");
        dir = env && *env ? env : "/tmp";
    }
    // libclamav makes a folder here for every scan and, when it cannot,
    // reports the scan clean: the same step is tried once up front.
    // A folder that is missing or not one is the setup's fault (69); one
    // that is full, or a process out of descriptors, is worth a retry.
    std::string probe = dir + "/av-scan-probe.XXXXXX";
    if (!::mkdtemp(probe.data())) {
        int error = errno;
        bool passing = error == ENOSPC || error == EDQUOT || error == EMFILE ||
                       error == ENFILE || error == ENOMEM;
        return Error{dir,
                     fmt::format("cannot create a temporary folder: {}",
                                 std::strerror(error)),
                     passing ? ExitCode::temp_fail : ExitCode::unavailable};
    }
    if (::rmdir(probe.c_str()) != 0)
        return Error{probe, std::strerror(errno), ExitCode::unavailable};
    return {};
}

Status Watcher::start() {
    if (auto status = check_tmp_dir(settings_.tmp_dir); !status)
        return status;
    // The folder is noted before loading so a change during the load is
    // seen by the next refresh rather than lost.
    if (auto status = watch(); !status)
        return no_signatures(db_dir_);
    auto loaded = Engine::load(db_dir_, settings_);
    if (!loaded)
        return loaded.error();
    engine_ = std::move(*loaded);
    return {};
}

Status Watcher::refresh() {
    auto now = std::chrono::steady_clock::now();
    if (now - stat_->checked < refresh_interval)
        return {};
    stat_->checked = now;
    if (cl_statchkdir(&stat_->stat) != 1)
        return {};

    // Noting the folder again first means a broken update is tried once,
    // then again only after the folder changes once more.
    if (auto status = watch(); !status)
        return status;
    auto loaded = Engine::load(db_dir_, settings_);
    if (!loaded)
        return loaded.error();
    // The new engine is complete before the old one goes: a scan never
    // sees a half-loaded engine, and the two coexist only for this swap.
    engine_ = std::move(*loaded);
    ++reloads_;
    return {};
}

} // namespace portcullis::av
