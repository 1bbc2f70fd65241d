#include "core/json_io.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace wf::core {

nlohmann::json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      throw Error(ErrorCode::not_found, "file not found", path, "check the path");
    }
    throw Error(ErrorCode::invalid_input, "cannot read file", path, "check its permissions");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_json_text(buffer.str(), path);
}

nlohmann::json parse_json_text(std::string_view text, const std::filesystem::path& source) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // a syntax error, or a number too large for a double (out_of_range)
    throw Error(ErrorCode::corrupt_file, std::string("not valid JSON: ") + e.what(), source,
                "fix the syntax at the byte it names, or delete the file to start from defaults");
  }
}

void write_json_file(const std::filesystem::path& path, const nlohmann::json& value) {
  write_file_atomic(path, value.dump(2) + "\n");
}

}  // namespace wf::core
