#include "jobs/sqlite_db.h"

#include <sqlite3.h>

#include <chrono>
#include <thread>

#include "core/error.h"

namespace wf::jobs {

Statement::Statement(SqliteDb& db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &statement_, nullptr) != SQLITE_OK) {
    db.fail("cannot prepare '" + std::string(sql) + "'");
  }
}

Statement::~Statement() {
  sqlite3_finalize(statement_);
}

Statement& Statement::bind(int index, const SqlValue& value) {
  int status = SQLITE_OK;
  if (std::holds_alternative<std::monostate>(value)) {
    status = sqlite3_bind_null(statement_, index);
  } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
    status = sqlite3_bind_int64(statement_, index, *i);
  } else if (const auto* d = std::get_if<double>(&value)) {
    status = sqlite3_bind_double(statement_, index, *d);
  } else {
    const std::string& text = std::get<std::string>(value);
    status = sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  if (status != SQLITE_OK) db_.fail("cannot bind a value");
  return *this;
}

bool Statement::step() {
  const int status = sqlite3_step(statement_);
  if (status == SQLITE_ROW) return true;
  if (status == SQLITE_DONE) return false;
  db_.fail("a statement failed");
}

void Statement::run() {
  while (step()) {
  }
}

std::int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(statement_, column);
}
double Statement::real(int column) const {
  return sqlite3_column_double(statement_, column);
}
bool Statement::null(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

std::string Statement::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
  return data ? std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(statement_, column))) : std::string();
}

SqliteDb::SqliteDb(std::filesystem::path file) : file_(std::move(file)) {
  std::error_code ec;
  if (!file_.parent_path().empty()) std::filesystem::create_directories(file_.parent_path(), ec);
  if (sqlite3_open_v2(file_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(ErrorCode::invalid_input, "cannot open the job database: " + message, file_,
                "check that the workspace folder is writable");
  }
  sqlite3_busy_timeout(db_, 10000);
  exec_waiting("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
}

SqliteDb::~SqliteDb() {
  sqlite3_close(db_);
}

void SqliteDb::fail(std::string_view what) const {
  const int code = sqlite3_extended_errcode(db_);
  const std::string message = std::string(what) + ": " + sqlite3_errmsg(db_);
  if ((code & 0xff) == SQLITE_FULL) {
    throw Error(ErrorCode::disk_full, "the disk is full: " + message, file_, "free some space and try again");
  }
  if ((code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB) {
    throw Error(ErrorCode::corrupt_file, "the job database is damaged: " + message, file_,
                "move it aside; WatserFace makes a new one (projects on disk are kept)");
  }
  throw Error(ErrorCode::internal, "job database: " + message, file_, "");
}

void SqliteDb::exec(std::string_view sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    sqlite3_free(error);
    fail("'" + std::string(sql.substr(0, 60)) + "' failed");
  }
}

std::int64_t SqliteDb::run(std::string_view sql, const std::vector<SqlValue>& values) {
  Statement statement(*this, sql);
  for (std::size_t i = 0; i < values.size(); ++i) statement.bind(static_cast<int>(i) + 1, values[i]);
  statement.run();
  return sqlite3_changes64(db_);
}

std::int64_t SqliteDb::last_insert_id() const {
  return sqlite3_last_insert_rowid(db_);
}

// SQLite answers some lock upgrades with SQLITE_BUSY at once instead of waiting (to rule out deadlock), among them
// a new database's switch to WAL and a write transaction's start while another process converts it; those are
// tried again until the busy timeout passes.
void SqliteDb::exec_waiting(std::string_view sql) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    const int status = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, nullptr);
    if (status == SQLITE_OK) return;
    const bool busy = (status & 0xff) == SQLITE_BUSY || (status & 0xff) == SQLITE_LOCKED;
    if (!busy || std::chrono::steady_clock::now() > deadline) fail("'" + std::string(sql.substr(0, 60)) + "' failed");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void SqliteDb::transaction(const std::function<void()>& work) {
  if (!sqlite3_get_autocommit(db_)) return work();  // inside an outer transaction, which commits or rolls back
  exec_waiting("BEGIN IMMEDIATE");
  try {
    work();
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

int SqliteDb::schema_version() {
  Statement statement(*this, "PRAGMA user_version");
  return statement.step() ? static_cast<int>(statement.integer(0)) : 0;
}

void SqliteDb::migrate(const std::vector<std::string>& migrations) {
  const int known = static_cast<int>(migrations.size());
  // The version is read inside each write transaction: another process opening the same new workspace at once
  // waits, then finds the step already taken.
  for (bool more = true; more;) {
    transaction([&] {
      const int version = schema_version();
      if (version > known) {
        throw Error(ErrorCode::unsupported,
                    "the job database has schema " + std::to_string(version) + ", newer than this WatserFace knows (" +
                        std::to_string(known) + ")",
                    file_, "run the newer WatserFace that made it");
      }
      more = version < known;
      if (!more) return;
      exec(migrations[static_cast<std::size_t>(version)]);
      exec("PRAGMA user_version = " + std::to_string(version + 1));
    });
  }
}

}  // namespace wf::jobs
