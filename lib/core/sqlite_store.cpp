// The SQLite store. Token hashes are 64-bit integers stored as SQLite's
// signed INTEGER primary key, so a lookup is one B-tree probe; counts
// never go below zero, so forgetting a message twice does no harm.
#include "core/sqlite_store.hpp"
#include "core/log.hpp"
#include "core/sqlite_statement.hpp"

#include "core/file_kind.hpp"

#include <fmt/format.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>

namespace portcullis::state {

namespace {

constexpr const char* schema = R"(
CREATE TABLE IF NOT EXISTS tokens (
    hash INTEGER PRIMARY KEY, spam INTEGER NOT NULL, ham INTEGER NOT NULL,
    seen INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS learned (
    digest TEXT PRIMARY KEY, spam INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS totals (
    name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS signatures (
    digest TEXT PRIMARY KEY, hashes BLOB NOT NULL,
    seen INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS examples (
    digest TEXT PRIMARY KEY, spam INTEGER NOT NULL, features BLOB NOT NULL,
    seen INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS models (
    name TEXT PRIMARY KEY, value BLOB NOT NULL,
    generation INTEGER NOT NULL DEFAULT 0);
)";

// `seen` is the day (since 1970) a learned message last added to a
// token or stored a signature. A token's worth to pruning is its count
// halved for every this many days since: a word ten messages taught a
// year and a half ago weighs less than one taught last week.
constexpr double token_half_life_days = 180;

// How long a connection waits for another's lock before it gives up:
// learners started at once take turns instead of failing.
constexpr int busy_timeout_ms = 10'000;

// Token counts of databases up to this size are read into memory once:
// a hash-table probe is far cheaper than a B-tree walk per token.
constexpr int64_t cache_limit_rows = 4'000'000;

// The tables every database holds. The examples and models tables came
// later: a writer adds them to an older database, and a reader of one
// finds no model in it.
constexpr const char* tables[] = {"tokens", "learned", "totals", "signatures"};

// A path as a file: URI path; these three would end or escape it.
std::string uri_path(std::string_view path) {
    std::string out;
    for (char c : path) {
        if (c == '?' || c == '#' || c == '%')
            out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
        else
            out += c;
    }
    return out;
}

// A writer is connected, or died, while its log holds pages.
bool wal_in_use(const std::string& path) {
    struct stat st {};
    return ::stat((path + "-wal").c_str(), &st) == 0 && st.st_size > 0;
}

// The WAL index (-shm) is missing and this user may not create it.
bool needs_index_it_cannot_make(sqlite3* db) {
    int rc = sqlite3_extended_errcode(db) & 0xff;
    return rc == SQLITE_READONLY || rc == SQLITE_CANTOPEN;
}

// The database and the files SQLite opens beside it must be regular
// files: opening a FIFO for reading waits for a writer that never comes,
// and a device (a link to /dev/null) would take what is learned and keep
// nothing. A link to a regular file is followed, as SQLite follows it.
// Only someone who may write the state folder can swap a file in after
// this check, and they could as well delete the database.
Status regular_files_only(const std::string& path) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        std::string file = path + suffix;
        struct stat st {};
        if (::stat(file.c_str(), &st) != 0 || S_ISREG(st.st_mode))
            continue;
        return Error{
            file, fmt::format("{}, not a regular file", file_kind(st.st_mode)),
            ExitCode::unavailable};
    }
    return {};
}

// portcullis_keep(count, seen): what a token is worth keeping, its
// count halved for every token_half_life_days since it was last taught.
// A day after today (a clock set back) counts as today.
double token_worth(int64_t count, int64_t seen, int64_t today) {
    int64_t age = std::max<int64_t>(0, today - seen);
    return static_cast<double>(count) *
           std::exp2(-static_cast<double>(age) / token_half_life_days);
}

void keep_worth(sqlite3_context* context, int, sqlite3_value** values) {
    auto today = *static_cast<const int64_t*>(sqlite3_user_data(context));
    sqlite3_result_double(context,
                          token_worth(sqlite3_value_int64(values[0]),
                                      sqlite3_value_int64(values[1]), today));
}

} // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path,
                                                       bool read_only) {
    if (Status s = regular_files_only(path); !s)
        return s.error();
    return read_only ? open_reader(path) : open_writer(path);
}

// A reader opens the file with mode=ro, so nothing it does can write. In
// WAL mode a reader still needs the -shm index beside the file, which it
// cannot create in a folder it may not write to (the usual setup: root
// learns, the mail user scores). When no writer is connected (there is
// no -wal file, or it is empty) every page is in the main file, and
// immutable=1 reads it without the index or any lock; what scoring needs
// is then read at once, so a writer that comes later cannot tear a read.
// XXX: a database of more than cache_limit_rows tokens is not held in
// memory, and its immutable reader may see a later writer's checkpoint
// half done; give such a scorer read access to a -shm file instead.
// Learning prunes to spam-score's state.max_tokens (2 million unless an
// administrator raised it), so only a raised limit gets there.
Result<std::unique_ptr<SqliteStore>>
SqliteStore::open_reader(const std::string& path) {
    auto db = open_handle(path, "mode=ro", SQLITE_OPEN_READONLY);
    if (!db)
        return db.error();
    std::unique_ptr<SqliteStore> store(new SqliteStore(*db, path, true));
    Status s = store->check_schema(false);
    if (!s && needs_index_it_cannot_make(store->db_) && wal_in_use(path))
        return Error{path,
                     "cannot read the write-ahead log: no write access to "
                     "the folder or to the -shm file",
                     ExitCode::unavailable};
    if (!s && needs_index_it_cannot_make(store->db_)) {
        store.reset();
        db = open_handle(path, "immutable=1", SQLITE_OPEN_READONLY);
        if (!db)
            return db.error();
        store.reset(new SqliteStore(*db, path, true));
        store->immutable_ = true;
        s = store->check_schema(false);
    }
    if (!s)
        return s.error();
    if (!(s = store->load_cache()) || !(s = store->load_totals()))
        return s.error();
    if (!(s = store->prepare(store->select_token_,
                             "SELECT spam, ham FROM tokens WHERE hash = ?")))
        return s.error();
    return store;
}

// A writer checks the whole file first: learning into a damaged file, or
// someone else's database, would bury what is left of it. The tables are
// made in one transaction, so a learner started at the same time sees
// all of them or none, never a database it would call damaged.
Result<std::unique_ptr<SqliteStore>>
SqliteStore::open_writer(const std::string& path) {
    if (Status s = check_writable(path); !s)
        return s.error();
    auto db = open_handle(path, "", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!db)
        return db.error();
    // SQLite opens a write-protected file read-only without a word.
    if (sqlite3_db_readonly(*db, "main") == 1) {
        sqlite3_close(*db);
        return read_only(path);
    }
    std::unique_ptr<SqliteStore> store(new SqliteStore(*db, path, false));
    Status s;
    auto make_tables = [&]() -> Status {
        if (Status made = store->exec(schema); !made)
            return made;
        return store->add_missing_columns();
    };
    if (!(s = store->quick_check()) || !(s = store->check_schema(true)) ||
        !(s = store->use_wal()) ||
        !(s = store->exec("PRAGMA synchronous=NORMAL")) ||
        !(s = store->transaction(make_tables)))
        return s.error();
    if (sqlite3_create_function_v2(
            store->db_, "portcullis_keep", 2,
            SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
            &store->today_, keep_worth, nullptr, nullptr, nullptr) != SQLITE_OK)
        return store->error("register a function");
    if (!(s = store->prepare(store->select_token_,
                             "SELECT spam, ham FROM tokens WHERE hash = ?")))
        return s.error();
    return store;
}

// Columns that came after a table did. Databases made before tokens
// and signatures kept the day a message last taught them get the
// column, and today in every row: nothing is known to be old, so
// nothing goes first for want of a date.
Status SqliteStore::add_missing_columns() {
    for (const char* table : {"tokens", "signatures"}) {
        auto present = has_column(table, "seen");
        if (!present)
            return present.error();
        if (*present)
            continue;
        auto add = fmt::format("ALTER TABLE {0} ADD COLUMN seen INTEGER NOT "
                               "NULL DEFAULT 0; UPDATE {0} SET seen = {1}",
                               table, today_);
        if (Status s = exec(add.c_str()); !s)
            return s;
    }
    // The first models table (one day's builds) had no generation: its
    // model counts as fitted at none, so the next learner fits again.
    auto present = has_column("models", "generation");
    if (!present)
        return present.error();
    if (*present)
        return {};
    return exec("ALTER TABLE models ADD COLUMN generation INTEGER NOT NULL "
                "DEFAULT -1");
}

Result<bool> SqliteStore::has_column(const char* table, const char* column) {
    Statement st;
    if (sqlite3_prepare_v2(
            db_, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1,
            &st.handle, nullptr) != SQLITE_OK)
        return error("read the tables");
    sqlite3_bind_text(st.handle, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st.handle, 2, column, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st.handle);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return error("read the tables");
    return rc == SQLITE_ROW;
}

// Learning writes the file and, beside it, the -wal and -shm files: a
// file or folder it may not write is said to be read-only, not damaged.
Status SqliteStore::check_writable(const std::string& path) {
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    if (slash == 0)
        dir = "/";
    struct stat st {};
    bool exists = ::stat(path.c_str(), &st) == 0;
    if ((exists && ::access(path.c_str(), W_OK) != 0) ||
        ::access(dir.c_str(), W_OK) != 0) {
        if (errno == EACCES || errno == EROFS || errno == EPERM)
            return read_only(path);
    }
    return {};
}

Error SqliteStore::read_only(const std::string& path) {
    return Error{path,
                 "read-only: learning needs write access to it and to its "
                 "folder",
                 ExitCode::unavailable};
}

Result<sqlite3*> SqliteStore::open_handle(const std::string& path,
                                          std::string_view query, int flags) {
    std::string name = path;
    if (!query.empty())
        name = fmt::format("file:{}?{}", uri_path(path), query);
    sqlite3* db = nullptr;
    int rc =
        sqlite3_open_v2(name.c_str(), &db,
                        flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close(db);
        return Error{path, message, ExitCode::unavailable};
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, busy_timeout_ms);
    return db;
}

// Going into WAL mode needs the file to itself, and SQLite does not wait
// for that as it waits for a lock: a learner that finds another reading
// a new file tries again, until the busy timeout is over.
Status SqliteStore::use_wal() {
    constexpr int pause_ms = 10;
    for (int waited_ms = 0;; waited_ms += pause_ms) {
        Statement st;
        int rc = sqlite3_prepare_v2(db_, "PRAGMA journal_mode=WAL", -1,
                                    &st.handle, nullptr);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(st.handle);
        if (rc == SQLITE_ROW) {
            auto text = sqlite3_column_text(st.handle, 0);
            std::string mode =
                text ? reinterpret_cast<const char*>(text) : "unknown";
            if (mode == "wal")
                return {};
            return Error{
                path_, fmt::format("SQLite keeps it in {} mode, not WAL", mode),
                ExitCode::unavailable};
        }
        if (!locked(rc) || waited_ms >= busy_timeout_ms)
            return error("");
        sqlite3_sleep(pause_ms);
    }
}

Status SqliteStore::quick_check() {
    Statement st;
    if (sqlite3_prepare_v2(db_, "PRAGMA quick_check", -1, &st.handle,
                           nullptr) != SQLITE_OK)
        return check_failed();
    if (sqlite3_step(st.handle) != SQLITE_ROW)
        return check_failed();
    auto verdict =
        reinterpret_cast<const char*>(sqlite3_column_text(st.handle, 0));
    if (!verdict || std::strcmp(verdict, "ok") != 0)
        return unusable(verdict ? verdict : "quick_check failed");
    return {};
}

// The file must hold all of our tables, or (for a writer, which creates
// them) no table at all.
Status SqliteStore::check_schema(bool may_create) {
    Statement st;
    if (sqlite3_prepare_v2(db_,
                           "SELECT name FROM sqlite_master WHERE type = "
                           "'table'",
                           -1, &st.handle, nullptr) != SQLITE_OK)
        return check_failed();
    std::vector<std::string> found;
    int rc;
    while ((rc = sqlite3_step(st.handle)) == SQLITE_ROW)
        found.emplace_back(
            reinterpret_cast<const char*>(sqlite3_column_text(st.handle, 0)));
    if (rc != SQLITE_DONE)
        return check_failed();
    if (found.empty() && may_create)
        return {};
    for (const char* table : tables) {
        if (std::find(found.begin(), found.end(), table) == found.end())
            return unusable(fmt::format("no table {}", table));
    }
    return {};
}

Error SqliteStore::unusable(std::string_view why) const {
    return Error{path_,
                 fmt::format("not a usable spam-score database: {}", why),
                 ExitCode::unavailable};
}

// A check that could not run calls the file damaged only when SQLite
// says so: a lock another process held too long, a full disk or a disk
// that failed a read or write is no damage of the file.
Error SqliteStore::check_failed() const {
    int code = sqlite3_extended_errcode(db_);
    if (locked(code) || io_trouble(code))
        return error("check the file");
    return unusable(sqlite3_errmsg(db_));
}

bool SqliteStore::locked(int code) {
    code &= 0xff;
    return code == SQLITE_BUSY || code == SQLITE_LOCKED;
}

bool SqliteStore::io_trouble(int code) {
    code &= 0xff;
    return code == SQLITE_FULL || code == SQLITE_IOERR;
}

SqliteStore::~SqliteStore() {
    sqlite3_finalize(select_token_);
    sqlite3_finalize(upsert_token_);
    sqlite3_finalize(select_totals_);
    sqlite3_close(db_);
}

namespace {

// SQLite reports a write cut short by the file size limit (ulimit -f)
// as a bare I/O error, without the EFBIG behind it: when a limit is
// set, it is the likely cause, and naming it saves a search.
std::string file_size_limit_hint() {
    struct rlimit limit {};
    if (::getrlimit(RLIMIT_FSIZE, &limit) != 0 ||
        limit.rlim_cur == RLIM_INFINITY)
        return "";
    return fmt::format(" (a file size limit of {} bytes is set, ulimit -f: "
                       "the database or its journal may have reached it)",
                       static_cast<unsigned long long>(limit.rlim_cur));
}

} // namespace

// Says what failed. Another process that held its lock past the busy
// timeout leaves nothing wrong: try again later (75). A full disk, or
// one that failed a read or write, is an I/O error (74), with what the
// system said; SQLite calls some full disks an I/O error too.
Error SqliteStore::error(std::string_view what) const {
    int code = sqlite3_extended_errcode(db_);
    int system_errno = sqlite3_system_errno(db_);
    std::string message = sqlite3_errmsg(db_);
    if ((code & 0xff) == SQLITE_FULL ||
        (io_trouble(code) && system_errno == ENOSPC))
        message = "the disk is full";
    else if (io_trouble(code) && system_errno != 0 && system_errno != EFBIG)
        message += fmt::format(" ({})", std::strerror(system_errno));
    else if (io_trouble(code))
        message += file_size_limit_hint();
    if (!what.empty())
        message = fmt::format("{}: {}", what, message);
    if (locked(code))
        return Error{path_,
                     fmt::format("{}: waited {} seconds for other "
                                 "processes to let go of it; try again later",
                                 message, busy_timeout_ms / 1000),
                     ExitCode::temp_fail};
    return Error{path_, message,
                 io_trouble(code) ? ExitCode::io_error : ExitCode::unavailable};
}

Status SqliteStore::exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK)
        return {};
    return error("");
}

Status SqliteStore::prepare(sqlite3_stmt*& statement, const char* sql) {
    if (statement)
        return {};
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement,
                           nullptr) != SQLITE_OK)
        return error("prepare");
    return {};
}

namespace {

// A token's two counts from columns first and first + 1, or nothing when
// one is no count this store writes (below 0 or past 32 bits, as a hand
// edit leaves them): read as given, -1 would be four billion messages.
std::optional<TokenCounts> read_counts(sqlite3_stmt* st, int first) {
    sqlite3_int64 spam = sqlite3_column_int64(st, first);
    sqlite3_int64 ham = sqlite3_column_int64(st, first + 1);
    constexpr sqlite3_int64 most = std::numeric_limits<uint32_t>::max();
    if (spam < 0 || ham < 0 || spam > most || ham > most)
        return std::nullopt;
    return TokenCounts{static_cast<uint32_t>(spam), static_cast<uint32_t>(ham)};
}

} // namespace

Status SqliteStore::damaged_counts() const {
    return Error{path_,
                 "a token's counts are not counts: the database is "
                 "damaged; learn the messages again into a new state folder",
                 ExitCode::unavailable};
}

Status SqliteStore::load_cache() {
    Statement count;
    if (sqlite3_prepare_v2(db_, "SELECT count(*) FROM tokens", -1,
                           &count.handle, nullptr) != SQLITE_OK)
        return error("count tokens");
    if (sqlite3_step(count.handle) != SQLITE_ROW)
        return error("count tokens");
    int64_t rows = sqlite3_column_int64(count.handle, 0);
    if (rows > cache_limit_rows)
        return {};
    Statement all;
    if (sqlite3_prepare_v2(db_, "SELECT hash, spam, ham FROM tokens", -1,
                           &all.handle, nullptr) != SQLITE_OK)
        return error("read tokens");
    cache_.reserve(static_cast<size_t>(rows));
    // Rows are inserted in small batches whose slots were asked for
    // first: each lands at a random place in a table of many megabytes.
    std::array<std::pair<uint64_t, TokenCounts>, 16> batch;
    size_t batched = 0;
    auto insert_batch = [&] {
        for (size_t i = 0; i < batched; ++i)
            cache_.set(batch[i].first, batch[i].second);
        batched = 0;
    };
    int rc;
    while ((rc = sqlite3_step(all.handle)) == SQLITE_ROW) {
        auto hash = static_cast<uint64_t>(sqlite3_column_int64(all.handle, 0));
        cache_.prefetch(hash);
        auto counts = read_counts(all.handle, 1);
        if (!counts) {
            cache_ = {};
            return damaged_counts();
        }
        batch[batched++] = {hash, *counts};
        if (batched == batch.size())
            insert_batch();
    }
    insert_batch();
    if (rc != SQLITE_DONE)
        return error("read tokens");
    cached_ = true;
    return {};
}

Result<std::vector<TokenCounts>>
SqliteStore::lookup(std::span<const uint64_t> tokens) {
    std::vector<TokenCounts> out(tokens.size());
    if (cached_) {
        // A table of a million tokens is far bigger than the CPU cache:
        // asking for slots a few tokens ahead hides most of each miss.
        constexpr size_t ahead = 8;
        for (size_t i = 0; i < tokens.size(); ++i) {
            if (i + ahead < tokens.size())
                cache_.prefetch(tokens[i + ahead]);
            out[i] = cache_.find(tokens[i]);
        }
        return out;
    }
    for (size_t i = 0; i < tokens.size(); ++i) {
        sqlite3_reset(select_token_);
        sqlite3_bind_int64(select_token_, 1,
                           static_cast<sqlite3_int64>(tokens[i]));
        int rc = sqlite3_step(select_token_);
        if (rc == SQLITE_ROW) {
            auto counts = read_counts(select_token_, 0);
            if (!counts)
                return damaged_counts().error();
            out[i] = *counts;
        } else if (rc != SQLITE_DONE)
            return error("look up token");
    }
    return out;
}

// Scoring asks for the totals once per message, so the statement is
// prepared once and kept.
Result<Totals> SqliteStore::totals() {
    if (immutable_)
        return cached_totals_;
    return read_totals();
}

// A reader without locks (immutable) reads the totals with the token
// counts, once: a writer that starts later may change the file under it.
Status SqliteStore::load_totals() {
    auto read = read_totals();
    if (!read)
        return read.error();
    cached_totals_ = *read;
    return {};
}

Result<Totals> SqliteStore::read_totals() {
    if (!prepare(select_totals_, "SELECT name, value FROM totals"))
        return error("read totals");
    sqlite3_stmt* st = select_totals_;
    sqlite3_reset(st);
    Totals totals;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        auto name = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        if (name == nullptr)
            continue;
        // SQLite would read '8abc' as 8 and -8 as a huge count: a value
        // that is not a whole number of 0 or more was never written here.
        bool known = std::strcmp(name, "spam") == 0 ||
                     std::strcmp(name, "ham") == 0 ||
                     std::strcmp(name, "token_format") == 0;
        if (known && (sqlite3_column_type(st, 1) != SQLITE_INTEGER ||
                      sqlite3_column_int64(st, 1) < 0)) {
            auto text =
                reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
            std::string message =
                fmt::format("the totals hold {} = {}, not a count: the "
                            "database is damaged; learn the messages again "
                            "into a new state folder",
                            name, log::quote_value(text ? text : ""));
            sqlite3_reset(st); // frees name and text
            return Error{path_, std::move(message), ExitCode::unavailable};
        }
        auto value = static_cast<uint64_t>(sqlite3_column_int64(st, 1));
        if (std::strcmp(name, "spam") == 0)
            totals.spam = value;
        else if (std::strcmp(name, "ham") == 0)
            totals.ham = value;
        else if (std::strcmp(name, "token_format") == 0)
            totals.token_format = value;
    }
    if (rc != SQLITE_DONE)
        return error("read totals");
    sqlite3_reset(st); // ends the read, so a writer's checkpoint can pass
    return totals;
}

Result<std::optional<bool>> SqliteStore::learned_as(std::string_view digest) {
    Statement st;
    if (sqlite3_prepare_v2(db_, "SELECT spam FROM learned WHERE digest = ?", -1,
                           &st.handle, nullptr) != SQLITE_OK)
        return error("read learned");
    sqlite3_bind_text(st.handle, 1, digest.data(),
                      static_cast<int>(digest.size()), SQLITE_TRANSIENT);
    int rc = sqlite3_step(st.handle);
    if (rc == SQLITE_DONE)
        return std::optional<bool>{};
    if (rc != SQLITE_ROW)
        return error("read learned");
    return std::optional<bool>{sqlite3_column_int(st.handle, 0) != 0};
}

Result<bool> SqliteStore::holds_learning() {
    Statement st;
    if (sqlite3_prepare_v2(
            db_,
            "SELECT EXISTS (SELECT 1 FROM learned) OR EXISTS (SELECT 1 FROM "
            "signatures) OR EXISTS (SELECT 1 FROM tokens WHERE spam > 0 OR "
            "ham > 0)",
            -1, &st.handle, nullptr) != SQLITE_OK)
        return error("read learned");
    if (sqlite3_step(st.handle) != SQLITE_ROW)
        return error("read learned");
    return sqlite3_column_int(st.handle, 0) != 0;
}

Status SqliteStore::change_counts(bool spam, int delta,
                                  std::span<const uint64_t> tokens) {
    // Forgetting leaves the day a token was last taught as it was.
    const char* sql =
        spam ? "INSERT INTO tokens (hash, spam, ham, seen) VALUES (?1, "
               "max(?2, 0), 0, ?3) ON CONFLICT(hash) DO UPDATE SET spam = "
               "max(spam + ?2, 0), seen = iif(?2 > 0, ?3, seen)"
             : "INSERT INTO tokens (hash, spam, ham, seen) VALUES (?1, 0, "
               "max(?2, 0), ?3) ON CONFLICT(hash) DO UPDATE SET ham = "
               "max(ham + ?2, 0), seen = iif(?2 > 0, ?3, seen)";
    Statement st;
    if (sqlite3_prepare_v2(db_, sql, -1, &st.handle, nullptr) != SQLITE_OK)
        return error("update tokens");
    // A token forgotten by both classes is no token: its row goes, so a
    // forgotten message leaves nothing behind to count towards limits.
    Statement drop;
    if (delta < 0 &&
        sqlite3_prepare_v2(db_,
                           "DELETE FROM tokens WHERE hash = ?1 AND spam = 0 "
                           "AND ham = 0",
                           -1, &drop.handle, nullptr) != SQLITE_OK)
        return error("update tokens");
    for (uint64_t token : tokens) {
        sqlite3_reset(st.handle);
        sqlite3_bind_int64(st.handle, 1, static_cast<sqlite3_int64>(token));
        sqlite3_bind_int(st.handle, 2, delta);
        sqlite3_bind_int64(st.handle, 3, today_);
        if (sqlite3_step(st.handle) != SQLITE_DONE)
            return error("update tokens");
        if (!drop.handle)
            continue;
        sqlite3_reset(drop.handle);
        sqlite3_bind_int64(drop.handle, 1, static_cast<sqlite3_int64>(token));
        if (sqlite3_step(drop.handle) != SQLITE_DONE)
            return error("update tokens");
    }
    cached_ = false;
    cache_.clear();
    return {};
}

Status SqliteStore::add_total(bool spam, int delta) {
    Statement st;
    if (sqlite3_prepare_v2(db_,
                           "INSERT INTO totals (name, value) VALUES (?1, "
                           "max(?2, 0)) ON CONFLICT(name) DO UPDATE SET "
                           "value = max(value + ?2, 0)",
                           -1, &st.handle, nullptr) != SQLITE_OK)
        return error("update totals");
    sqlite3_bind_text(st.handle, 1, spam ? "spam" : "ham", -1, SQLITE_STATIC);
    sqlite3_bind_int(st.handle, 2, delta);
    if (sqlite3_step(st.handle) != SQLITE_DONE)
        return error("update totals");
    return {};
}

Status SqliteStore::set_token_format(uint64_t format) {
    Statement st;
    if (sqlite3_prepare_v2(db_,
                           "INSERT OR REPLACE INTO totals (name, value) "
                           "VALUES ('token_format', ?)",
                           -1, &st.handle, nullptr) != SQLITE_OK)
        return error("record token format");
    sqlite3_bind_int64(st.handle, 1, static_cast<sqlite3_int64>(format));
    if (sqlite3_step(st.handle) != SQLITE_DONE)
        return error("record token format");
    return {};
}

Status SqliteStore::learn(std::string_view digest, bool spam,
                          std::span<const uint64_t> tokens) {
    Statement st;
    if (sqlite3_prepare_v2(db_,
                           "INSERT OR REPLACE INTO learned (digest, spam) "
                           "VALUES (?, ?)",
                           -1, &st.handle, nullptr) != SQLITE_OK)
        return error("record learned");
    sqlite3_bind_text(st.handle, 1, digest.data(),
                      static_cast<int>(digest.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int(st.handle, 2, spam ? 1 : 0);
    if (sqlite3_step(st.handle) != SQLITE_DONE)
        return error("record learned");
    if (Status s = add_total(spam, 1); !s)
        return s;
    return change_counts(spam, 1, tokens);
}

Status SqliteStore::unlearn(std::string_view digest, bool spam,
                            std::span<const uint64_t> tokens) {
    Statement st;
    if (sqlite3_prepare_v2(db_, "DELETE FROM learned WHERE digest = ?", -1,
                           &st.handle, nullptr) != SQLITE_OK)
        return error("forget learned");
    sqlite3_bind_text(st.handle, 1, digest.data(),
                      static_cast<int>(digest.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(st.handle) != SQLITE_DONE)
        return error("forget learned");
    if (Status s = add_total(spam, -1); !s)
        return s;
    return change_counts(spam, -1, tokens);
}

Status SqliteStore::add_signature(const Signature& signature) {
    Statement st;
    if (sqlite3_prepare_v2(db_,
                           "INSERT OR REPLACE INTO signatures (digest, "
                           "hashes, seen) VALUES (?, ?, ?)",
                           -1, &st.handle, nullptr) != SQLITE_OK)
        return error("store signature");
    sqlite3_bind_text(st.handle, 1, signature.digest.data(),
                      static_cast<int>(signature.digest.size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_blob(
        st.handle, 2, signature.hashes.data(),
        static_cast<int>(signature.hashes.size() * sizeof(uint64_t)),
        SQLITE_TRANSIENT);
    sqlite3_bind_int64(st.handle, 3, today_);
    if (sqlite3_step(st.handle) != SQLITE_DONE)
        return error("store signature");
    return {};
}

Status SqliteStore::remove_signature(std::string_view digest) {
    Statement st;
    if (sqlite3_prepare_v2(db_, "DELETE FROM signatures WHERE digest = ?", -1,
                           &st.handle, nullptr) != SQLITE_OK)
        return error("remove signature");
    sqlite3_bind_text(st.handle, 1, digest.data(),
                      static_cast<int>(digest.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(st.handle) != SQLITE_DONE)
        return error("remove signature");
    return {};
}

Result<std::vector<Signature>> SqliteStore::signatures() {
    Statement st;
    if (sqlite3_prepare_v2(db_, "SELECT digest, hashes FROM signatures", -1,
                           &st.handle, nullptr) != SQLITE_OK)
        return error("read signatures");
    std::vector<Signature> out;
    int rc;
    while ((rc = sqlite3_step(st.handle)) == SQLITE_ROW) {
        Signature sig;
        sig.digest =
            reinterpret_cast<const char*>(sqlite3_column_text(st.handle, 0));
        auto bytes = static_cast<size_t>(sqlite3_column_bytes(st.handle, 1));
        sig.hashes.resize(bytes / sizeof(uint64_t));
        if (bytes >= sizeof(uint64_t))
            std::memcpy(sig.hashes.data(), sqlite3_column_blob(st.handle, 1),
                        sig.hashes.size() * sizeof(uint64_t));
        out.push_back(std::move(sig));
    }
    if (rc != SQLITE_DONE)
        return error("read signatures");
    return out;
}

Result<Pruned> SqliteStore::prune(const PruneLimits& limits) {
    Pruned out;
    auto tokens = count_rows("tokens");
    if (!tokens)
        return tokens.error();
    auto over = [](int64_t rows, uint64_t limit) -> int64_t {
        if (limit == 0 || static_cast<uint64_t>(rows) <= limit)
            return 0;
        return rows - static_cast<int64_t>(limit - limit / 10);
    };
    auto removed = prune_tokens(over(*tokens, limits.max_tokens));
    if (!removed)
        return removed.error();
    out.tokens = static_cast<uint64_t>(*removed);
    out.tokens_left = static_cast<uint64_t>(*tokens - *removed);
    if (*removed > 0) {
        cached_ = false;
        cache_.clear();
    }

    if (limits.signature_days > 0) {
        int64_t days = static_cast<int64_t>(
            std::min<uint64_t>(limits.signature_days, INT32_MAX));
        auto aged = delete_rows("DELETE FROM signatures WHERE seen < ?1",
                                today_ - days);
        if (!aged)
            return aged.error();
        out.signatures = static_cast<uint64_t>(*aged);
    }
    auto signatures = count_rows("signatures");
    if (!signatures)
        return signatures.error();
    auto oldest = delete_rows(
        "DELETE FROM signatures WHERE rowid IN (SELECT rowid FROM signatures "
        "ORDER BY seen, rowid LIMIT ?1)",
        over(*signatures, limits.max_signatures));
    if (!oldest)
        return oldest.error();
    out.signatures += static_cast<uint64_t>(*oldest);
    out.signatures_left = static_cast<uint64_t>(*signatures - *oldest);

    auto examples = count_rows("examples WHERE length(features) > 0");
    if (!examples)
        return examples.error();
    auto earliest = prune_examples(limits.max_examples);
    if (!earliest)
        return earliest.error();
    out.examples = static_cast<uint64_t>(*earliest);
    out.examples_left = static_cast<uint64_t>(*examples - *earliest);
    return out;
}

// Finds the worth below which `drop` tokens lie, then deletes in one
// pass over the table in its own order: deleting by a sorted list of
// hashes walked the B-tree at random, 50 s for 2.6 of 4.4 million rows.
// Ties at the cut (most tokens are seen once, on the same day) go by
// the hash, which is as good as drawing lots.
Result<int64_t> SqliteStore::prune_tokens(int64_t drop) {
    if (drop <= 0)
        return 0;
    std::vector<double> worth;
    {
        Statement st;
        if (sqlite3_prepare_v2(db_, "SELECT spam + ham, seen FROM tokens", -1,
                               &st.handle, nullptr) != SQLITE_OK)
            return error("prune");
        int rc;
        while ((rc = sqlite3_step(st.handle)) == SQLITE_ROW)
            worth.push_back(token_worth(sqlite3_column_int64(st.handle, 0),
                                        sqlite3_column_int64(st.handle, 1),
                                        today_));
        if (rc != SQLITE_DONE)
            return error("prune");
    }
    if (worth.empty())
        return 0;
    auto nth = worth.begin() +
               std::min<int64_t>(drop, static_cast<int64_t>(worth.size())) - 1;
    std::nth_element(worth.begin(), nth, worth.end());
    double cut = *nth;
    auto below = delete_rows(
        "DELETE FROM tokens WHERE portcullis_keep(spam + ham, seen) < ?1", cut);
    if (!below)
        return below.error();
    auto at = delete_rows("DELETE FROM tokens WHERE hash IN (SELECT hash FROM "
                          "tokens WHERE portcullis_keep(spam + ham, seen) = ?1 "
                          "ORDER BY hash LIMIT ?2)",
                          cut, drop - *below);
    if (!at)
        return at.error();
    return *below + *at;
}

Result<int64_t> SqliteStore::count_rows(const char* table) {
    auto query = fmt::format("SELECT count(*) FROM {}", table);
    Statement st;
    if (sqlite3_prepare_v2(db_, query.c_str(), -1, &st.handle, nullptr) !=
            SQLITE_OK ||
        sqlite3_step(st.handle) != SQLITE_ROW)
        return error(fmt::format("count {}", table));
    return sqlite3_column_int64(st.handle, 0);
}

// Runs a DELETE with ?1 (and ?2) bound; a LIMIT of 0 deletes nothing.
Result<int64_t> SqliteStore::delete_rows(const char* sql, int64_t bound) {
    Statement st;
    if (sqlite3_prepare_v2(db_, sql, -1, &st.handle, nullptr) != SQLITE_OK)
        return error("prune");
    sqlite3_bind_int64(st.handle, 1, bound);
    if (sqlite3_step(st.handle) != SQLITE_DONE)
        return error("prune");
    return static_cast<int64_t>(sqlite3_changes64(db_));
}

Result<int64_t> SqliteStore::delete_rows(const char* sql, double worth,
                                         int64_t limit) {
    Statement st;
    if (sqlite3_prepare_v2(db_, sql, -1, &st.handle, nullptr) != SQLITE_OK)
        return error("prune");
    sqlite3_bind_double(st.handle, 1, worth);
    if (limit >= 0)
        sqlite3_bind_int64(st.handle, 2, limit);
    if (sqlite3_step(st.handle) != SQLITE_DONE)
        return error("prune");
    return static_cast<int64_t>(sqlite3_changes64(db_));
}

// BEGIN IMMEDIATE takes the write lock first, so what the body reads
// no other writer can change before it commits. A COMMIT that failed
// may leave the transaction open; it is rolled back, never left.
Status SqliteStore::transaction(const std::function<Status()>& body) {
    if (Status s = exec("BEGIN IMMEDIATE"); !s)
        return s;
    Status result = body();
    if (result)
        result = exec("COMMIT");
    if (!result && sqlite3_get_autocommit(db_) == 0)
        exec("ROLLBACK");
    return result;
}

} // namespace portcullis::state
