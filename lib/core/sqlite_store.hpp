// The embedded state store: one SQLite database file, by default
// STATE_DIR/spam-score.sqlite. Readers and one writer may share it (WAL);
// token counts are read into memory once, when the file is small enough.
#pragma once

#include "core/state_store.hpp"
#include "core/token_table.hpp"

#include <sqlite3.h>

#include <ctime>
#include <memory>
#include <string>

namespace portcullis::state {

/// A Store kept in a SQLite database file.
class SqliteStore : public Store {
public:
    /// Opens or creates the database; read_only never creates or writes,
    /// and reads the token counts and totals at once when they fit.
    /// A file that is not a whole spam-score database is an Error, and so
    /// is a database, -wal, -shm or -journal file that is no regular file.
    static Result<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                     bool read_only);

    ~SqliteStore() override;
    SqliteStore(const SqliteStore&) = delete;
    SqliteStore& operator=(const SqliteStore&) = delete;

    Result<std::vector<TokenCounts>>
    lookup(std::span<const uint64_t> tokens) override;
    Result<Totals> totals() override;
    Result<std::optional<bool>> learned_as(std::string_view digest) override;
    Result<bool> holds_learning() override;
    Status set_token_format(uint64_t format) override;
    Status learn(std::string_view digest, bool spam,
                 std::span<const uint64_t> tokens) override;
    Status unlearn(std::string_view digest, bool spam,
                   std::span<const uint64_t> tokens) override;
    Status add_signature(const Signature& signature) override;
    Status remove_signature(std::string_view digest) override;
    Result<std::vector<Signature>> signatures() override;
    Status keep_example(std::string_view digest, bool spam,
                        std::string_view features) override;
    Status remove_example(std::string_view digest) override;
    Result<std::vector<Example>> examples() override;
    Result<uint64_t> examples_generation() override;
    Result<std::optional<std::string>> model(std::string_view name) override;
    Result<std::optional<uint64_t>>
    model_generation(std::string_view name) override;
    Status set_model(std::string_view name,
                     const std::optional<std::string>& value,
                     uint64_t generation) override;
    Result<Pruned> prune(const PruneLimits& limits) override;
    Status transaction(const std::function<Status()>& body) override;

private:
    SqliteStore(sqlite3* db, std::string path, bool read_only)
        : db_(db), path_(std::move(path)), read_only_(read_only) {}

    static Result<std::unique_ptr<SqliteStore>>
    open_reader(const std::string& path);
    static Result<std::unique_ptr<SqliteStore>>
    open_writer(const std::string& path);
    static Status check_writable(const std::string& path);
    static Error read_only(const std::string& path);
    static Result<sqlite3*> open_handle(const std::string& path,
                                        std::string_view query, int flags);

    Status use_wal();
    Status quick_check();
    Status check_schema(bool may_create);
    Error unusable(std::string_view why) const;
    Error check_failed() const;
    static bool locked(int code);
    static bool io_trouble(int code);
    Status exec(const char* sql);
    Status prepare(sqlite3_stmt*& statement, const char* sql);
    Error error(std::string_view what) const;
    Status change_counts(bool spam, int delta,
                         std::span<const uint64_t> tokens);
    Status add_total(bool spam, int delta);
    Status add_missing_columns();
    Result<bool> has_table(const char* table);
    Result<bool> has_column(const char* table, const char* column);
    Status examples_changed();
    Result<int64_t> prune_examples(uint64_t limit);
    Result<int64_t> count_rows(const char* table);
    Result<int64_t> prune_tokens(int64_t drop);
    Result<int64_t> delete_rows(const char* sql, int64_t bound);
    Result<int64_t> delete_rows(const char* sql, double worth,
                                int64_t limit = -1);
    Status load_cache();
    /// The error for a token row whose counts are no counts.
    Status damaged_counts() const;
    Status load_totals();
    Result<Totals> read_totals();

    sqlite3* db_;
    std::string path_;
    bool read_only_;
    sqlite3_stmt* select_token_ = nullptr;
    sqlite3_stmt* upsert_token_ = nullptr;
    sqlite3_stmt* select_totals_ = nullptr;
    bool cached_ = false;
    TokenTable cache_;
    bool immutable_ = false; ///< read without the WAL index or locks
    int64_t today_ = std::time(nullptr) / 86400; ///< days since 1970
    Totals cached_totals_;
};

} // namespace portcullis::state
