// A request as the server receives it: the decoded address on the first line, a header value on the second, the
// body after. Whatever the bytes, the edge answers with a wf::Error or a value, and every error answer it makes
// is valid JSON.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"
#include "server/request_edge.h"

namespace {

void check_answer(const std::string& message) {
  const std::string text = wf::server::error_json("invalid_input", message, "hint");
  if (nlohmann::json::parse(text, nullptr, false).is_discarded()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::size_t first = text.find('\n');
  const std::string path = text.substr(0, first);
  const std::size_t second = first == std::string::npos ? std::string::npos : text.find('\n', first + 1);
  const std::string header = first == std::string::npos ? "" : text.substr(first + 1, second - first - 1);
  const std::string body = second == std::string::npos ? "" : text.substr(second + 1);

  const std::string unreadable = wf::server::unreadable_address(path, {{"from", header}});
  check_answer(unreadable.empty() ? "there is no project '" + path + "'" : unreadable);
  wf::server::body_limit("POST", path);
  try {
    const nlohmann::json value = wf::server::parse_json_body(body);
    if (!value.is_object()) __builtin_trap();
    check_answer(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } catch (const wf::Error& e) {
    check_answer(e.what());
  }
  try {
    wf::server::parse_event_id(header, "Last-Event-ID");
  } catch (const wf::Error& e) {
    check_answer(e.what());
  }
  return 0;
}
