// The shared loop's time limits: a record past its deadline fails alone,
// a handler may time the phases of its work apart, and a record stuck
// past the hard limit is answered and ends the run after every record
// before it is written. That ends the process, so each run is a child's.
#include "core/filter.hpp"
#include "core/watchdog.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

using namespace portcullis;
using portcullis::testing::TempDir;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct RunResult {
    int status = -1;
    std::vector<std::string> lines; ///< "id action reason-text"
    std::string stderr_text;
    std::chrono::milliseconds elapsed{0};
};

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string summary(const std::string& line) {
    auto envelope = nlohmann::json::parse(line);
    const auto& verdict = envelope["verdicts"].back();
    std::string out = envelope["id"].get<std::string>() + " " +
                      verdict["action"].get<std::string>();
    if (!verdict["reasons"].empty())
        out += " " + verdict["reasons"][0]["text"].get<std::string>();
    return out;
}

// Runs the loop over messages named a, b and c in a child process with
// the given parse timeout, the output form --json.
RunResult run_in_child(const filter::Handler& handler, int timeout_ms) {
    TempDir dir;
    std::vector<std::string> inputs;
    for (const char* name : {"a", "b", "c"}) {
        inputs.push_back(dir.path + "/" + name);
        std::ofstream(inputs.back()) << "Subject: " << name << "\n\nhi\n";
    }
    fs::path out_path = fs::path(dir.path) / "stdout";
    fs::path err_path = fs::path(dir.path) / "stderr";
    auto began = std::chrono::steady_clock::now();
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT, 0600);
        int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT, 0600);
        if (out < 0 || err < 0 || ::dup2(out, STDOUT_FILENO) < 0 ||
            ::dup2(err, STDERR_FILENO) < 0)
            ::_exit(99);
        filter::CommonOptions options;
        options.inputs = inputs;
        options.form = filter::OutputForm::json;
        options.progress = false;
        options.limits.parse_timeout_ms = timeout_ms;
        ::_exit(to_int(filter::run(options, "test", handler)));
    }
    int wait_status = 0;
    REQUIRE(::waitpid(pid, &wait_status, 0) == pid);
    RunResult result;
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - began);
    REQUIRE(WIFEXITED(wait_status));
    result.status = WEXITSTATUS(wait_status);
    std::istringstream lines(slurp(out_path));
    for (std::string line; std::getline(lines, line);)
        result.lines.push_back(summary(line));
    result.stderr_text = slurp(err_path);
    return result;
}

bool is(const stream::Record& record, const char* name) {
    return fs::path(record.id()).filename() == name;
}

Result<filter::Outcome> pass() {
    return filter::Outcome{{{"action", "pass"}, {"reasons", {}}}, {}};
}

} // namespace

TEST_CASE("a record stuck past the hard limit is answered after the "
          "records before it, and the run ends with 75") {
    auto result = run_in_child(
        [](stream::Record& record) {
            if (is(record, "b"))
                std::this_thread::sleep_for(5s);
            return pass();
        },
        50);
    CHECK(result.status == 75);
    REQUIRE(result.lines.size() == 2);
    CHECK(result.lines[0].ends_with("/a pass"));
    CHECK(result.lines[1].ends_with(
        "/b tempfail processing exceeded the parse timeout of 50 ms"));
    CHECK(result.stderr_text.ends_with(
        "/b: processing exceeded the parse timeout of 50 ms; stuck where "
        "it cannot be stopped, so the run ends here and what follows it is "
        "not read\n"));
    CHECK(result.elapsed < 4s);
}

TEST_CASE("a phase the handler starts has its own limit and reason, and "
          "a paused clock stops no record") {
    auto result = run_in_child(
        [](stream::Record& record) {
            if (!is(record, "b"))
                return pass();
            // Longer than the record's hard limit of 1.05 s.
            filter::pause_deadline();
            std::this_thread::sleep_for(1300ms);
            filter::restart_deadline(20, "scanning exceeded 20 ms");
            std::this_thread::sleep_for(5s);
            return pass();
        },
        50);
    CHECK(result.status == 75);
    REQUIRE(result.lines.size() == 2);
    CHECK(result.lines[1].ends_with("/b tempfail scanning exceeded 20 ms"));
    CHECK(result.stderr_text.ends_with(
        "/b: scanning exceeded 20 ms; stuck where it cannot be stopped, so "
        "the run ends here and what follows it is not read\n"));
    CHECK(result.elapsed < 5s);
}

TEST_CASE("a phase that ends late fails its record alone unless the "
          "handler starts another") {
    auto result = run_in_child(
        [](stream::Record& record) {
            filter::restart_deadline(10, "the phase ran late");
            std::this_thread::sleep_for(50ms);
            // b's lateness was judged by the handler itself.
            if (is(record, "b"))
                filter::restart_deadline(5000, "unused");
            return pass();
        },
        5000);
    CHECK(result.status == 0);
    REQUIRE(result.lines.size() == 3);
    CHECK(result.lines[0].ends_with("/a tempfail the phase ran late"));
    CHECK(result.lines[1].ends_with("/b pass"));
    CHECK(result.lines[2].ends_with("/c tempfail the phase ran late"));
}

TEST_CASE("moving the deadline outside a handler does nothing") {
    filter::restart_deadline(1, "unused");
    filter::pause_deadline();
    std::this_thread::sleep_for(5ms);
    CHECK_FALSE(deadline_passed());
}

TEST_CASE("a record that ends past its deadline logs no action it did "
          "not get") {
    // spam-score logged "score ... action=pass" for a message that was
    // then tempfailed for finishing late.
    auto result = run_in_child(
        [](stream::Record& record) {
            filter::restart_deadline(10, "the judgement ran late");
            if (!is(record, "b"))
                std::this_thread::sleep_for(50ms);
            filter::Outcome outcome{{{"action", "pass"}, {"reasons", {}}}, {}};
            outcome.events.push_back({"score", {{"action", "pass"}}});
            return Result<filter::Outcome>(std::move(outcome));
        },
        5000);
    CHECK(result.status == 0);
    REQUIRE(result.lines.size() == 3);
    CHECK(result.lines[0].ends_with("/a tempfail the judgement ran late"));
    CHECK(result.lines[1].ends_with("/b pass"));
    CHECK(result.stderr_text.find("/a score") == std::string::npos);
    CHECK(result.stderr_text.find("/b score action=pass\n") !=
          std::string::npos);
    CHECK(result.stderr_text.find("/c score") == std::string::npos);
}
