#include <gtest/gtest.h>

#include <cerrno>
#include <set>

#include "core/error.h"

namespace wf {
namespace {

TEST(Error, WhatNamesTheFileAndKeepsMessageAndHintApart) {
  const Error error(ErrorCode::corrupt_file, "header is broken", "/tmp/x.safetensors", "export it again");
  EXPECT_EQ(std::string(error.what()), "header is broken (/tmp/x.safetensors)");
  EXPECT_EQ(error.message(), "header is broken");
  EXPECT_EQ(error.hint(), "export it again");
}

TEST(Error, SystemErrorsMapToCodesUsersCanActOn) {
  EXPECT_EQ(error_from_errno(ENOSPC, "write", "/a").code(), ErrorCode::disk_full);
  EXPECT_EQ(error_from_errno(EDQUOT, "write", "/a").code(), ErrorCode::disk_full);
  EXPECT_EQ(error_from_errno(ENOENT, "open", "/a").code(), ErrorCode::not_found);
  EXPECT_EQ(error_from_errno(EACCES, "open", "/a").code(), ErrorCode::invalid_input);
  EXPECT_FALSE(error_from_errno(ENOSPC, "write", "/a").hint().empty());
}

TEST(Error, ExitCodesAreDistinctAndAvoidUsageStatus) {
  std::set<int> seen;
  for (ErrorCode code : {ErrorCode::invalid_input, ErrorCode::not_found, ErrorCode::missing_model,
                         ErrorCode::corrupt_file, ErrorCode::unsupported, ErrorCode::out_of_memory,
                         ErrorCode::disk_full, ErrorCode::cancelled, ErrorCode::internal}) {
    const int status = exit_code(code);
    EXPECT_TRUE(seen.insert(status).second) << to_string(code);
    EXPECT_NE(status, 0);
    EXPECT_NE(status, 1);  // doctor's "problems found"
    EXPECT_NE(status, 2);  // usage errors and verbs not available yet
  }
}

TEST(Error, CheckThrowsInternalInsteadOfAborting) {
  try {
    WF_CHECK(1 + 1 == 3, "arithmetic");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::internal);
    EXPECT_NE(e.message().find("arithmetic"), std::string::npos);
  }
}

}  // namespace
}  // namespace wf
