#pragma once
// JSON files: read with a message that names the file and the line of a syntax error; write atomically.

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string_view>

namespace wf::core {

nlohmann::json read_json_file(const std::filesystem::path& path);
// The same message for text read some other way, naming `source`.
nlohmann::json parse_json_text(std::string_view text, const std::filesystem::path& source);
// Strings that are not UTF-8 are written with U+FFFD: a path to reopen goes through put_path.
void write_json_file(const std::filesystem::path& path, const nlohmann::json& value);

// A path a later step reopens, as `object[key]`: its text, with U+FFFD for bytes that are not UTF-8 (a Latin-1 file
// name), and then also its exact bytes as `object[key + "_bytes"]`, an array of numbers.
void put_path(nlohmann::json& object, const std::string& key, const std::filesystem::path& path);
// The path put_path stored (the bytes when present). Throws what nlohmann's get throws for a missing key.
std::filesystem::path get_path(const nlohmann::json& object, const std::string& key);

}  // namespace wf::core
