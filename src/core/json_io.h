#pragma once
// JSON files: read with a message that names the file and the line of a syntax error; write atomically.

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string_view>

namespace wf::core {

nlohmann::json read_json_file(const std::filesystem::path& path);
// The same message for text read some other way, naming `source`.
nlohmann::json parse_json_text(std::string_view text, const std::filesystem::path& source);
void write_json_file(const std::filesystem::path& path, const nlohmann::json& value);

}  // namespace wf::core
