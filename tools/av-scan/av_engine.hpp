// The libclamav engine behind av-scan: signatures loaded once from a
// folder, explicit unpacking limits, in-memory scans, and reloads between
// messages when the folder changes (freshclam, a local mirror).
#pragma once

#include "core/result.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct cl_engine;

namespace portcullis::av {

/// What libclamav may unpack before it gives up; hitting one is a verdict.
struct ScanLimits {
    uint32_t max_recursion = 16;
    uint32_t max_files = 10000;
    uint64_t max_file_bytes = 100u << 20;
    uint64_t max_scan_bytes = 400u << 20;
    uint32_t max_scan_time_ms = 30000;
};

/// How the engine is set up: its limits and where libclamav unpacks.
struct EngineSettings {
    ScanLimits limits;
    /// Folder for libclamav's per-scan temporary files; empty means
    /// $TMPDIR or /tmp. A tmpfs here halves the CPU time per message.
    std::string tmp_dir;
};

/// How one scan of one buffer ended.
enum class Outcome {
    clean,
    infected,
    scan_limit, ///< a limit on recursion, files, size or time was hit
    encrypted,  ///< an encrypted archive or document: contents unseen
};

/// Returns the outcome's name as written in verdicts.
std::string_view to_string(Outcome outcome);

/// The result of scanning one buffer.
struct ScanResult {
    Outcome outcome = Outcome::clean;
    std::string name; ///< signature or heuristic name, empty when clean
};

/// Which parsers libclamav runs over a buffer.
enum class ScanMode {
    whole_message, ///< the raw message: signatures only, no MIME decoding
    content,       ///< a decoded part: archives and documents unpacked
};

/// One compiled libclamav engine; immutable once loaded.
class Engine {
public:
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    /// Loads every signature file in db_dir and compiles the engine.
    static Result<std::unique_ptr<Engine>> load(const std::string& db_dir,
                                                const EngineSettings& settings);

    /// Scans a buffer; an Error means libclamav failed, not a verdict.
    Result<ScanResult> scan(std::string_view data, ScanMode mode) const;

    /// Returns how many signatures were loaded.
    unsigned signatures() const { return signatures_; }

private:
    Engine() = default;

    cl_engine* engine_ = nullptr;
    unsigned signatures_ = 0;
    ScanLimits limits_;
    /// The largest inner file libclamav surely delivers uncut.
    uint64_t whole_file_bytes_ = 0;
};

/// Checks that a temporary folder can be made in tmp_dir, or in $TMPDIR
/// or /tmp when it is empty, as libclamav does for every scan.
Status check_tmp_dir(const std::string& tmp_dir);

/// Keeps one engine warm and swaps in a new one when the folder changes.
class Watcher {
public:
    Watcher(std::string db_dir, EngineSettings settings);
    ~Watcher();
    Watcher(const Watcher&) = delete;
    Watcher& operator=(const Watcher&) = delete;

    /// Checks the temporary folder and loads the first engine; failure
    /// here is fatal for the caller.
    Status start();

    /// Reloads when the folder changed since the last load. A failed
    /// reload keeps the old engine and returns the error to be logged.
    Status refresh();

    /// Returns the engine in use; valid after a successful start().
    const Engine& engine() const { return *engine_; }

    /// Returns how many times the engine was replaced after start().
    int reloads() const { return reloads_; }

private:
    struct Stat;

    Status watch();

    std::string db_dir_;
    EngineSettings settings_;
    std::unique_ptr<Engine> engine_;
    std::unique_ptr<Stat> stat_;
    int reloads_ = 0;
};

} // namespace portcullis::av
