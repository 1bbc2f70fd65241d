#include "core/json_io.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/utf8.h"

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
  // A string that is not UTF-8 (a file name shown in a report) is written with U+FFFD rather than failing the run.
  write_file_atomic(path, value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void put_path(nlohmann::json& object, const std::string& key, const std::filesystem::path& path) {
  const std::string& text = path.native();
  object[key] = printable_excerpt(text, std::string::npos);
  if (!is_utf8(text)) object[key + "_bytes"] = std::vector<unsigned char>(text.begin(), text.end());
}

std::filesystem::path get_path(const nlohmann::json& object, const std::string& key) {
  const auto bytes = object.find(key + "_bytes");
  if (bytes == object.end()) return object.at(key).get<std::string>();
  const auto raw = bytes->get<std::vector<unsigned char>>();
  return std::string(raw.begin(), raw.end());
}

}  // namespace wf::core
