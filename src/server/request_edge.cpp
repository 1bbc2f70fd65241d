#include "server/request_edge.h"

#include <charconv>

#include "core/error.h"
#include "core/utf8.h"

namespace wf::server {
namespace {

struct TooDeep {};

}  // namespace

std::string unreadable_address(std::string_view path, const std::multimap<std::string, std::string>& query) {
  const auto unreadable = [](std::string_view text) {
    return !core::is_utf8(text) || text.find('\0') != std::string_view::npos;
  };
  if (unreadable(path)) return "the address '" + core::printable_excerpt(path) + "' is not UTF-8 text";
  for (const auto& [key, value] : query) {
    if (unreadable(key) || unreadable(value)) {
      return "the query parameter '" + core::printable_excerpt(key) + "' is not UTF-8 text";
    }
  }
  return {};
}

std::optional<std::size_t> body_limit(std::string_view method, std::string_view path) {
  constexpr std::string_view kProjects = "/api/v1/projects/";
  if (path.starts_with(kProjects)) {
    const std::string_view rest = path.substr(kProjects.size());
    const std::size_t slash = rest.find('/');
    const std::string_view below = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    if (method == "POST" && (below == "/media/source" || below == "/media/target")) return std::nullopt;
    if (method == "PUT" && below.starts_with("/faces/target/") && below.ends_with("/mask")) return kMaxImageBodyBytes;
  }
  return kMaxJsonBodyBytes;
}

nlohmann::json parse_json_body(std::string_view body) {
  if (body.size() > kMaxJsonBodyBytes) {
    throw Error(ErrorCode::invalid_input,
                "the request body is " + std::to_string(body.size()) + " bytes, over the limit of " +
                    std::to_string(kMaxJsonBodyBytes) + " for settings",
                {}, "send only the settings that change");
  }
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return nlohmann::json::object();
  nlohmann::json value;
  try {
    // The callback sees each container as it opens, so a deep one stops the parse before it is built.
    value = nlohmann::json::parse(body, [](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
      const bool opens =
          event == nlohmann::json::parse_event_t::object_start || event == nlohmann::json::parse_event_t::array_start;
      if (opens && depth >= kMaxJsonDepth) throw TooDeep{};
      return true;
    });
  } catch (const TooDeep&) {
    throw Error(ErrorCode::invalid_input,
                "the request body nests deeper than " + std::to_string(kMaxJsonDepth) + " levels", {},
                "send the settings as docs/http-api.md shows them");
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::invalid_input,
                "the request body is not JSON (" + core::printable_excerpt(e.what(), 160) + ")", {},
                "send {\"key\": value}");
  }
  if (!value.is_object()) {
    throw Error(ErrorCode::invalid_input, "the request body is not a JSON object", {}, "send {\"key\": value}");
  }
  return value;
}

std::uint64_t parse_event_id(std::string_view text, std::string_view what) {
  std::uint64_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    throw Error(ErrorCode::invalid_input,
                std::string(what) + " '" + core::printable_excerpt(text, 32) + "' is not an event number", {},
                "send the id of the last event received, a whole number from 0");
  }
  return id;
}

std::string error_json(std::string_view code, std::string_view message, std::string_view hint) {
  return answer_text({{"error", {{"code", code}, {"message", message}, {"hint", hint}}}});
}

std::string answer_text(const nlohmann::json& body) {
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace wf::server
