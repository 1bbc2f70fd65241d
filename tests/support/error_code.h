#pragma once
// The ErrorCode of the wf::Error a call throws (its text into `message` when given), or ErrorCode::internal
// when it throws none: for tests that check which clear error a bad input gives.

#include <functional>
#include <string>

#include "core/error.h"

namespace wf::test {

inline ErrorCode error_code(const std::function<void()>& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  return ErrorCode::internal;
}

}  // namespace wf::test
