#pragma once
// JSON files: read with a message that names the file and the line of a syntax error; write atomically.

#include <filesystem>
#include <nlohmann/json_fwd.hpp>

namespace wf::core {

nlohmann::json read_json_file(const std::filesystem::path& path);
void write_json_file(const std::filesystem::path& path, const nlohmann::json& value);

}  // namespace wf::core
