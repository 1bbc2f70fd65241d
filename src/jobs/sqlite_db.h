#pragma once
// A thin RAII layer over SQLite's C API: a connection in WAL mode (readers never block the writer, a crash loses
// no committed transaction), prepared statements with bound values, transactions, and schema migrations counted
// in PRAGMA user_version. Every failure is a wf::Error naming the database file.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace wf::jobs {

using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string>;

class SqliteDb;

class Statement {
 public:
  Statement(SqliteDb& db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, const SqlValue& value);  // 1-based
  bool step();                                        // true: a row is ready
  void run();                                         // steps to the end
  std::int64_t integer(int column) const;             // 0-based
  double real(int column) const;
  std::string text(int column) const;
  bool null(int column) const;

 private:
  SqliteDb& db_;
  sqlite3_stmt* statement_ = nullptr;
};

class SqliteDb {
 public:
  // Opens (creating) the file in WAL mode with a busy timeout, so two processes can share it.
  explicit SqliteDb(std::filesystem::path file);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  void exec(std::string_view sql);
  // One statement with bound values, stepped to the end; returns the rows changed.
  std::int64_t run(std::string_view sql, const std::vector<SqlValue>& values = {});
  std::int64_t last_insert_id() const;
  // `work` inside BEGIN IMMEDIATE ... COMMIT; rolled back when it throws. Inside another transaction, `work` is
  // part of that one.
  void transaction(const std::function<void()>& work);

  int schema_version();
  // Applies migrations[version..] in order, each in its own transaction, raising user_version. A database newer
  // than the migrations is refused (it was made by a newer WatserFace).
  void migrate(const std::vector<std::string>& migrations);

  const std::filesystem::path& file() const { return file_; }
  [[noreturn]] void fail(std::string_view what) const;
  void exec_waiting(std::string_view sql);  // exec, tried again while SQLite says busy without waiting  // throws with
                                            // SQLite's message
  sqlite3* handle() const { return db_; }

 private:
  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
};

}  // namespace wf::jobs
