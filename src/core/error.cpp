#include "core/error.h"

#include <cerrno>
#include <cstring>

namespace wf {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_input: return "invalid_input";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::missing_model: return "missing_model";
    case ErrorCode::corrupt_file: return "corrupt_file";
    case ErrorCode::unsupported: return "unsupported";
    case ErrorCode::out_of_memory: return "out_of_memory";
    case ErrorCode::disk_full: return "disk_full";
    case ErrorCode::cancelled: return "cancelled";
    case ErrorCode::internal: return "internal";
  }
  return "internal";
}

int exit_code(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_input: return 3;
    case ErrorCode::not_found: return 4;
    case ErrorCode::missing_model: return 5;
    case ErrorCode::corrupt_file: return 6;
    case ErrorCode::unsupported: return 7;
    case ErrorCode::out_of_memory: return 8;
    case ErrorCode::disk_full: return 9;
    case ErrorCode::cancelled: return 130;
    case ErrorCode::internal: return 70;
  }
  return 70;
}

namespace {
std::string full_message(const std::string& message, const std::filesystem::path& path) {
  if (path.empty()) return message;
  return message + " (" + path.string() + ")";
}
}  // namespace

Error::Error(ErrorCode code, std::string message, std::filesystem::path path, std::string hint)
    : std::runtime_error(full_message(message, path)),
      code_(code),
      message_(std::move(message)),
      path_(std::move(path)),
      hint_(std::move(hint)) {}

Error error_from_errno(int err, std::string_view action, const std::filesystem::path& path) {
  std::string message = std::string(action) + ": " + std::strerror(err);
  switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return Error(ErrorCode::disk_full, std::move(message), path,
                   "free disk space (or raise the quota) where this file lives, then run the command again");
    case ENOENT:
      return Error(ErrorCode::not_found, std::move(message), path, "check that the path exists and is spelled right");
    case EACCES:
    case EPERM:
    case EROFS:
      return Error(ErrorCode::invalid_input, std::move(message), path,
                   "choose a location you can write to, or fix its permissions");
    default:
      return Error(ErrorCode::invalid_input, std::move(message), path);
  }
}

namespace detail {
void check_failed(const char* expression, const char* file, int line, std::string_view message) {
  throw Error(ErrorCode::internal,
              std::string("internal check failed: ") + expression + " at " + file + ":" + std::to_string(line) +
                  ": " + std::string(message),
              {}, "this is a WatserFace bug; please report it with the command you ran");
}
}  // namespace detail

}  // namespace wf
