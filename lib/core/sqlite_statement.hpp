// A prepared SQLite statement, finalized at scope end; shared by the
// files of the SQLite store (sqlite_store.cpp, sqlite_store_examples.cpp).
#pragma once

#include <sqlite3.h>

namespace portcullis::state {

/// Frees a prepared statement at scope end.
struct Statement {
    sqlite3_stmt* handle = nullptr;
    ~Statement() { sqlite3_finalize(handle); }
};

} // namespace portcullis::state
