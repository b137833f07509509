// report's logic: fold verdict streams or JSON lines into a summary.
#pragma once

#include "core/filter.hpp"
#include "report_record.hpp"
#include "report_top.hpp"
#include "report_watch.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace portcullis::report {

/// Options of report.
struct Options {
    std::vector<std::string> inputs;
    bool json = false;
    size_t top = 10;
    size_t max_errors = 100; ///< input errors listed; more are only counted
    size_t max_keys = default_max_keys; ///< keys kept in each top list
    std::vector<Alert> alerts;
    bool alerts_only = false; ///< print the fired alerts alone
    Period period = Period::none;
    std::string config_path = config::default_path;
    bool config_named = false;
    Limits limits; ///< [limits] of the configuration: envelope_line_bytes
};

/// Counts gathered over many records.
class Summary {
public:
    /// Lists at most options.max_errors input errors; all are counted.
    /// Keeps options.max_keys keys in each top list. With a period,
    /// messages are counted per period of arrival too.
    explicit Summary(const Options& options);

    /// Adds one record: a message, a filter's error line or a wiretap copy.
    void add(const RecordFacts& record);

    /// Counts an input error: a bad record, or an input that cannot be read.
    void add_error(std::string where, std::string message);

    /// Counts a JSON line that is not a record (a log line).
    void add_skipped_line();

    /// Returns the figures alerts are set on.
    Figures figures() const;

    /// Returns the summary as JSON, with the alerts that fired.
    nlohmann::ordered_json to_json(size_t top,
                                   const std::vector<FiredAlert>& fired) const;

    /// Returns the summary as text for people, the fired alerts first.
    std::string to_text(size_t top, const std::vector<FiredAlert>& fired) const;

private:
    // Wide enough that no number of 64-bit values can overflow a sum.
    __extension__ typedef unsigned __int128 wide_sum;

    void count_keys(const RecordFacts& record);
    std::optional<uint64_t> mean_elapsed_us(const std::string& tool) const;

    uint64_t messages_ = 0;
    uint64_t bytes_ = 0;
    uint64_t errors_ = 0;
    uint64_t skipped_lines_ = 0;
    uint64_t wiretap_copies_ = 0;
    std::map<std::string, std::map<std::string, uint64_t>> actions_;
    TopList reasons_;
    TopList attachment_types_;
    TopList anomalies_;
    size_t max_listed_errors_;
    std::vector<std::pair<std::string, std::string>> error_list_;
    std::map<std::string, wide_sum> elapsed_us_;
    std::map<std::string, uint64_t> timed_;    ///< verdicts with a time
    std::map<std::string, uint64_t> outcomes_; ///< most severe action
    /// Messages by reason id, any tool, for the ids alerts name alone:
    /// exact, and as small as the command line.
    std::map<std::string, uint64_t> message_reasons_;
    Period period_;
    Trends trends_;
};

/// Returns the text of alerts that fired, one line each.
std::string alerts_text(const std::vector<FiredAlert>& fired);

/// Reads all inputs and prints the summary; returns the exit status.
ExitCode run(const Options& options);

} // namespace portcullis::report
