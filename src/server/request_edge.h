#pragma once
// What the server reads of a request before a handler acts on it: the decoded address, a JSON body, an event
// number, each bounded and checked. Free of httplib and libtorch, so a fuzz target feeds it what a client sends.

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace wf::server {

inline constexpr std::size_t kMaxJsonBodyBytes = std::size_t{1} << 20;    // the largest settings body is a few KiB
inline constexpr std::size_t kMaxImageBodyBytes = std::size_t{16} << 20;  // a mask painted in the browser, as PNG
inline constexpr int kMaxJsonDepth = 32;                                  // settings nest three levels

// The most bytes a request's body may hold before its handler runs: a painted mask's kMaxImageBodyBytes, JSON's
// kMaxJsonBodyBytes; nullopt for the media uploads, which stream to disk under their own limit.
std::optional<std::size_t> body_limit(std::string_view method, std::string_view path);

// Why the decoded path or query of a request cannot name anything (not UTF-8, a NUL byte); empty when it can.
std::string unreadable_address(std::string_view path, const std::multimap<std::string, std::string>& query);

// A request body as a JSON object ({} when empty); wf::Error(invalid_input) when it is over kMaxJsonBodyBytes,
// nested deeper than kMaxJsonDepth, not JSON, or not an object.
nlohmann::json parse_json_body(std::string_view body);

// An event number a client sends back (`Last-Event-ID`, `?from=`); wf::Error(invalid_input) naming `what` otherwise.
std::uint64_t parse_event_id(std::string_view text, std::string_view what);

// The body of an error answer, {"error": {"code", "message", "hint"}}: valid JSON whatever bytes it is given.
std::string error_json(std::string_view code, std::string_view message, std::string_view hint);

// A JSON value as answer text; strings that are not UTF-8 (a file name) carry U+FFFD instead of failing.
std::string answer_text(const nlohmann::json& body);

}  // namespace wf::server
