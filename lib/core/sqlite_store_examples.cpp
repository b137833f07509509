// The SQLite store's part for the n-gram model: the learned messages'
// features (examples), the counter that says when they changed, the
// fitted models, and pruning of the examples. The rest of the store is
// in sqlite_store.cpp.
#include "core/sqlite_store.hpp"

#include "core/sqlite_statement.hpp"

#include <algorithm>

namespace portcullis::state {

// A message's first copy gives its features; learning it again, as
// the same class or the other, changes its class alone. A message whose
// features were pruned keeps its row, with none: learning it again must
// not bring them back as the newest.
Status SqliteStore::keep_example(std::string_view digest, bool spam,
                                 std::string_view features) {
    Statement st;
    if (sqlite3_prepare_v2(db_,
                           "INSERT INTO examples (digest, spam, features, "
                           "seen) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(digest) "
                           "DO UPDATE SET spam = ?2 WHERE spam != ?2 AND "
                           "length(features) > 0",
                           -1, &st.handle, nullptr) != SQLITE_OK)
        return error("store example");
    sqlite3_bind_text(st.handle, 1, digest.data(),
                      static_cast<int>(digest.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int(st.handle, 2, spam ? 1 : 0);
    sqlite3_bind_blob(st.handle, 3, features.data(),
                      static_cast<int>(features.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(st.handle, 4, today_);
    if (sqlite3_step(st.handle) != SQLITE_DONE)
        return error("store example");
    if (sqlite3_changes(db_) > 0)
        return examples_changed();
    return {};
}

Status SqliteStore::examples_changed() {
    return exec("INSERT INTO totals (name, value) VALUES "
                "('examples_generation', 1) ON CONFLICT(name) DO UPDATE SET "
                "value = value + 1");
}

Result<uint64_t> SqliteStore::examples_generation() {
    Statement st;
    if (sqlite3_prepare_v2(db_,
                           "SELECT value FROM totals WHERE name = "
                           "'examples_generation'",
                           -1, &st.handle, nullptr) != SQLITE_OK)
        return error("read totals");
    int rc = sqlite3_step(st.handle);
    if (rc == SQLITE_DONE)
        return uint64_t{0};
    if (rc != SQLITE_ROW)
        return error("read totals");
    return static_cast<uint64_t>(sqlite3_column_int64(st.handle, 0));
}

Status SqliteStore::remove_example(std::string_view digest) {
    Statement st;
    if (sqlite3_prepare_v2(db_, "DELETE FROM examples WHERE digest = ?", -1,
                           &st.handle, nullptr) != SQLITE_OK)
        return error("remove example");
    sqlite3_bind_text(st.handle, 1, digest.data(),
                      static_cast<int>(digest.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(st.handle) != SQLITE_DONE)
        return error("remove example");
    if (sqlite3_changes(db_) > 0)
        return examples_changed();
    return {};
}

Result<std::vector<Example>> SqliteStore::examples() {
    auto present = has_table("examples");
    if (!present)
        return present.error();
    std::vector<Example> out;
    if (!*present)
        return out;
    Statement st;
    if (sqlite3_prepare_v2(db_,
                           "SELECT digest, spam, features FROM examples "
                           "WHERE length(features) > 0",
                           -1, &st.handle, nullptr) != SQLITE_OK)
        return error("read examples");
    int rc;
    while ((rc = sqlite3_step(st.handle)) == SQLITE_ROW) {
        Example example;
        auto digest = sqlite3_column_text(st.handle, 0);
        if (digest)
            example.digest = reinterpret_cast<const char*>(digest);
        example.spam = sqlite3_column_int(st.handle, 1) != 0;
        auto bytes = static_cast<size_t>(sqlite3_column_bytes(st.handle, 2));
        if (bytes > 0)
            example.features.assign(
                static_cast<const char*>(sqlite3_column_blob(st.handle, 2)),
                bytes);
        out.push_back(std::move(example));
    }
    if (rc != SQLITE_DONE)
        return error("read examples");
    return out;
}

Result<std::optional<std::string>> SqliteStore::model(std::string_view name) {
    auto present = has_table("models");
    if (!present)
        return present.error();
    if (!*present)
        return std::optional<std::string>{};
    Statement st;
    if (sqlite3_prepare_v2(db_, "SELECT value FROM models WHERE name = ?", -1,
                           &st.handle, nullptr) != SQLITE_OK)
        return error("read model");
    sqlite3_bind_text(st.handle, 1, name.data(), static_cast<int>(name.size()),
                      SQLITE_TRANSIENT);
    int rc = sqlite3_step(st.handle);
    if (rc == SQLITE_DONE)
        return std::optional<std::string>{};
    if (rc != SQLITE_ROW)
        return error("read model");
    auto bytes = static_cast<size_t>(sqlite3_column_bytes(st.handle, 0));
    // An empty value records that there was too little to fit on.
    if (bytes == 0)
        return std::optional<std::string>{};
    return std::optional<std::string>{std::string(
        static_cast<const char*>(sqlite3_column_blob(st.handle, 0)), bytes)};
}

Result<std::optional<uint64_t>>
SqliteStore::model_generation(std::string_view name) {
    auto present = has_table("models");
    if (!present)
        return present.error();
    if (!*present)
        return std::optional<uint64_t>{};
    Statement st;
    if (sqlite3_prepare_v2(db_, "SELECT generation FROM models WHERE name = ?",
                           -1, &st.handle, nullptr) != SQLITE_OK)
        return error("read model");
    sqlite3_bind_text(st.handle, 1, name.data(), static_cast<int>(name.size()),
                      SQLITE_TRANSIENT);
    int rc = sqlite3_step(st.handle);
    if (rc == SQLITE_DONE)
        return std::optional<uint64_t>{};
    if (rc != SQLITE_ROW)
        return error("read model");
    return std::optional<uint64_t>{
        static_cast<uint64_t>(sqlite3_column_int64(st.handle, 0))};
}

Status SqliteStore::set_model(std::string_view name,
                              const std::optional<std::string>& value,
                              uint64_t generation) {
    Statement st;
    if (sqlite3_prepare_v2(db_,
                           "INSERT OR REPLACE INTO models (name, value, "
                           "generation) VALUES (?, ?, ?)",
                           -1, &st.handle, nullptr) != SQLITE_OK)
        return error("store model");
    sqlite3_bind_text(st.handle, 1, name.data(), static_cast<int>(name.size()),
                      SQLITE_TRANSIENT);
    std::string_view bytes = value ? std::string_view(*value) : "";
    sqlite3_bind_blob(st.handle, 2, bytes.data(),
                      static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(st.handle, 3, static_cast<sqlite3_int64>(generation));
    if (sqlite3_step(st.handle) != SQLITE_DONE)
        return error("store model");
    return {};
}

Result<bool> SqliteStore::has_table(const char* table) {
    Statement st;
    if (sqlite3_prepare_v2(db_,
                           "SELECT 1 FROM sqlite_master WHERE type = 'table' "
                           "AND name = ?",
                           -1, &st.handle, nullptr) != SQLITE_OK)
        return error("read the tables");
    sqlite3_bind_text(st.handle, 1, table, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st.handle);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return error("read the tables");
    return rc == SQLITE_ROW;
}

// Past the limit, the examples learned longest ago go until nine tenths
// of it are left, but neither class goes below half of that while the
// other has more: a site that learns a year of ham after its spam must
// not be left with a model of one class, or none.
Result<int64_t> SqliteStore::prune_examples(uint64_t limit) {
    Statement count;
    if (sqlite3_prepare_v2(db_,
                           "SELECT count(*), coalesce(sum(spam != 0), 0) FROM "
                           "examples WHERE length(features) > 0",
                           -1, &count.handle, nullptr) != SQLITE_OK ||
        sqlite3_step(count.handle) != SQLITE_ROW)
        return error("prune");
    int64_t total = sqlite3_column_int64(count.handle, 0);
    int64_t spam = sqlite3_column_int64(count.handle, 1);
    if (limit == 0 || static_cast<uint64_t>(total) <= limit)
        return 0;
    int64_t keep = static_cast<int64_t>(limit - limit / 10);
    int64_t floor = keep / 2;
    int64_t spam_spare = std::max<int64_t>(0, spam - floor);
    int64_t ham_spare = std::max<int64_t>(0, total - spam - floor);
    Statement st;
    if (sqlite3_prepare_v2(
            db_,
            "UPDATE examples SET features = x'' WHERE rowid IN (SELECT rowid "
            "FROM (SELECT * FROM (SELECT rowid, seen FROM examples WHERE spam "
            "!= 0 AND length(features) > 0 ORDER BY seen, rowid LIMIT ?1) "
            "UNION ALL SELECT * FROM (SELECT rowid, seen FROM examples WHERE "
            "spam = 0 AND length(features) > 0 ORDER BY seen, rowid LIMIT ?2)) "
            "ORDER BY seen, rowid LIMIT ?3)",
            -1, &st.handle, nullptr) != SQLITE_OK)
        return error("prune");
    sqlite3_bind_int64(st.handle, 1, spam_spare);
    sqlite3_bind_int64(st.handle, 2, ham_spare);
    sqlite3_bind_int64(st.handle, 3, total - keep);
    if (sqlite3_step(st.handle) != SQLITE_DONE)
        return error("prune");
    auto removed = static_cast<int64_t>(sqlite3_changes64(db_));
    if (removed > 0)
        if (Status s = examples_changed(); !s)
            return s.error();
    return removed;
}

} // namespace portcullis::state
