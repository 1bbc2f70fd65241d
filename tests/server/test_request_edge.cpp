// What the server reads of a request before a handler acts on it: addresses that are not UTF-8, JSON bodies over
// the size or depth limit, event numbers that are none, and error answers that stay valid JSON whatever bytes
// they carry.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/utf8.h"
#include "server/request_edge.h"

namespace wf::server {
namespace {

std::string invalid_input_message(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input);
    return e.what();
  }
  ADD_FAILURE() << "no wf::Error";
  return {};
}

TEST(Utf8, WellFormedTextPassesAndEveryKindOfMalformedSequenceFails) {
  EXPECT_TRUE(core::is_utf8(""));
  EXPECT_TRUE(core::is_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  for (const char* bad : {"\xFF", "caf\xE9", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                          "\xC3", "\xE2\x82", "\x80"}) {
    EXPECT_FALSE(core::is_utf8(bad)) << nlohmann::json(std::string(bad)).dump(-1, ' ', true,
                                                                             nlohmann::json::error_handler_t::replace);
  }
  EXPECT_EQ(core::printable_excerpt("caf\xE9"), "caf\xEF\xBF\xBD");
  EXPECT_EQ(core::printable_excerpt(std::string(300, '7'), 10), std::string(10, '7') + "\xE2\x80\xA6");
  EXPECT_EQ(core::printable_excerpt("\xC3\xA9\xC3\xA9", 3), "\xC3\xA9\xE2\x80\xA6") << "cut at a character";
}

TEST(RequestEdge, AnAddressThatIsNotUtf8NamesNothing) {
  EXPECT_EQ(unreadable_address("/api/v1/projects/caf\xC3\xA9", {}), "");
  EXPECT_NE(unreadable_address("/api/v1/projects/\xFF", {}), "");
  EXPECT_NE(unreadable_address(std::string("/api/v1/projects/a\0b", 20), {}), "");
  EXPECT_NE(unreadable_address("/api/v1/jobs/1/events", {{"from", "\xFF"}}), "");
  const std::string why = unreadable_address("/x/\xFF", {});
  EXPECT_TRUE(core::is_utf8(why)) << "the reason itself is valid text";
}

TEST(RequestEdge, JsonBodiesAreBoundedInSizeAndDepth) {
  EXPECT_EQ(parse_json_body(""), nlohmann::json::object());
  EXPECT_EQ(parse_json_body(R"({"name": "p"})").at("name"), "p");
  EXPECT_NE(invalid_input_message([] { parse_json_body("[1]"); }).find("not a JSON object"), std::string::npos);
  const std::string big = R"({"name": ")" + std::string(kMaxJsonBodyBytes, 'x') + R"("})";
  const std::string too_big = invalid_input_message([&] { parse_json_body(big); });
  EXPECT_NE(too_big.find("over the limit"), std::string::npos);
  EXPECT_LT(too_big.size(), 300u) << "the body is not echoed";

  const auto nested = [](int depth) {
    return R"({"a": )" + std::string(static_cast<std::size_t>(depth - 1), '[') +
           std::string(static_cast<std::size_t>(depth - 1), ']') + "}";
  };
  EXPECT_NO_THROW(parse_json_body(nested(kMaxJsonDepth)));
  EXPECT_NE(invalid_input_message([&] { parse_json_body(nested(kMaxJsonDepth + 1)); }).find("nests deeper"),
            std::string::npos);
  const std::string brackets(500'000, '[');
  EXPECT_NE(invalid_input_message([&] { parse_json_body(brackets); }).find("nests deeper"), std::string::npos);

  const std::string broken = invalid_input_message([] { parse_json_body("{\"a\": \"\xFF\"}"); });
  EXPECT_TRUE(core::is_utf8(broken));
}

TEST(RequestEdge, OnlyTheMediaUploadsStreamAndAPaintedMaskMayBeLargerThanSettings) {
  EXPECT_EQ(body_limit("POST", "/api/v1/projects/p/media/source"), std::nullopt);
  EXPECT_EQ(body_limit("POST", "/api/v1/projects/p/media/target"), std::nullopt);
  EXPECT_EQ(body_limit("PUT", "/api/v1/projects/p/faces/target/f0001/mask"), kMaxImageBodyBytes);
  EXPECT_EQ(body_limit("POST", "/api/v1/projects"), kMaxJsonBodyBytes);
  EXPECT_EQ(body_limit("POST", "/api/v1/projects/p/media/source/extra"), kMaxJsonBodyBytes);
  EXPECT_EQ(body_limit("POST", "/api/v1/projects/p/jobs"), kMaxJsonBodyBytes);
}

TEST(RequestEdge, EventNumbersAreWholeNumbersFromZero) {
  EXPECT_EQ(parse_event_id("0", "Last-Event-ID"), 0u);
  EXPECT_EQ(parse_event_id("42", "Last-Event-ID"), 42u);
  for (const char* bad : {"-5", "", "abc", "4x", " 4", "99999999999999999999999", "\xFF"}) {
    const std::string message = invalid_input_message([&] { parse_event_id(bad, "Last-Event-ID"); });
    EXPECT_NE(message.find("Last-Event-ID"), std::string::npos) << bad;
    EXPECT_EQ(message.find("stoull"), std::string::npos);
  }
}

TEST(RequestEdge, AnErrorAnswerIsValidJsonWhateverBytesItCarries) {
  const std::string text = error_json("not_found", "there is no project '\xFF\xFE'", "hint \xC3");
  const nlohmann::json parsed = nlohmann::json::parse(text);
  EXPECT_EQ(parsed.at("error").at("message"), "there is no project '\xEF\xBF\xBD\xEF\xBF\xBD'");
  EXPECT_EQ(answer_text({{"file", "caf\xE9.jpg"}}), "{\"file\":\"caf\xEF\xBF\xBD.jpg\"}");
}

}  // namespace
}  // namespace wf::server
