#include "server/request_guard.h"

#include <httplib.h>

#include <array>
#include <cstdio>
#include <fstream>

#include "core/error.h"

namespace wf::server {
namespace {

constexpr const char* kCookie = "watserface_token";

// 128 bits from the kernel's random source, as hex.
std::string random_token() {
  std::array<unsigned char, 16> bytes{};
  std::ifstream random("/dev/urandom", std::ios::binary);
  if (!random.read(reinterpret_cast<char*>(bytes.data()), bytes.size())) {
    throw Error(ErrorCode::internal, "cannot read /dev/urandom for the access token", "/dev/urandom", "");
  }
  std::string out;
  for (const unsigned char b : bytes) {
    char hex[3];
    std::snprintf(hex, sizeof(hex), "%02x", b);
    out += hex;
  }
  return out;
}

// The same length and bytes, in time that does not depend on where they differ.
bool same_secret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  return difference == 0;
}

std::string cookie_value(const std::string& header) {
  const std::string key = std::string(kCookie) + "=";
  for (std::size_t at = header.find(key); at != std::string::npos; at = header.find(key, at + 1)) {
    if (at == 0 || header[at - 1] == ' ' || header[at - 1] == ';') {
      const std::size_t end = header.find(';', at);
      return header.substr(at + key.size(), end == std::string::npos ? std::string::npos : end - at - key.size());
    }
  }
  return {};
}

}  // namespace

RequestGuard::RequestGuard(std::string bound) : bound_(std::move(bound)) {
  if (!loopback(bound_)) token_ = random_token();
}

bool RequestGuard::loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]";
}

std::string RequestGuard::cookie() const {
  return std::string(kCookie) + "=" + token_ + "; Path=/; HttpOnly; SameSite=Strict";
}

RequestGuard::Verdict RequestGuard::check(const httplib::Request& request, int port) const {
  const std::string host = request.get_header_value("Host"), suffix = ":" + std::to_string(port);
  if (loopback(bound_) && !(host.ends_with(suffix) && loopback(host.substr(0, host.size() - suffix.size())))) {
    return {403, "the request names the host '" + host + "', not this server"};
  }
  const std::string origin = request.get_header_value("Origin");
  if (!origin.empty() && origin != "http://" + host) return {403, "a page of " + origin + " may not use WatserFace"};
  if (token_.empty()) return {};
  const std::string authorization = request.get_header_value("Authorization");
  if (authorization.starts_with("Bearer ") && same_secret(authorization.substr(7), token_)) return {};
  if (same_secret(cookie_value(request.get_header_value("Cookie")), token_)) return {};
  if (request.has_param("token") && same_secret(request.get_param_value("token"), token_)) {
    return {0, "", true};
  }
  return {401, "this server listens beyond this machine and asks for its access token"};
}

}  // namespace wf::server
