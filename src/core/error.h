#pragma once
// wf::Error: the one exception type for failures a user can cause or must act on.
// It carries a code (for exit statuses and HTTP statuses), the file involved and the fix.

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace wf {

enum class ErrorCode {
  invalid_input,
  not_found,
  missing_model,
  corrupt_file,
  unsupported,
  out_of_memory,
  disk_full,
  cancelled,
  internal,
};

std::string_view to_string(ErrorCode code);
// Process exit status for a CLI that stops on this error (2 is kept for usage errors).
int exit_code(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string message, std::filesystem::path path = {}, std::string hint = {});

  ErrorCode code() const noexcept { return code_; }
  // The message alone; what() also names the file.
  const std::string& message() const noexcept { return message_; }
  const std::filesystem::path& path() const noexcept { return path_; }
  const std::string& hint() const noexcept { return hint_; }

 private:
  ErrorCode code_;
  std::string message_;
  std::filesystem::path path_;
  std::string hint_;
};

// An Error for a failed system call: ENOSPC/EDQUOT/EFBIG become disk_full, ENOENT not_found, the rest invalid_input.
Error error_from_errno(int err, std::string_view action, const std::filesystem::path& path);

namespace detail {
[[noreturn]] void check_failed(const char* expression, const char* file, int line, std::string_view message);
}  // namespace detail

}  // namespace wf

// Programmer errors (broken invariants), never user input: throws ErrorCode::internal.
#define WF_CHECK(condition, message)                                               \
  do {                                                                             \
    if (!(condition)) ::wf::detail::check_failed(#condition, __FILE__, __LINE__, message); \
  } while (false)
