#pragma once
// Line files written by appending (metadata.jsonl, skipped.jsonl): durable appends, and reads that stop
// before a torn last line a crash may leave.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace wf::core {

struct CompleteLines {
  std::vector<std::string> lines;  // without their newlines
  std::uintmax_t length = 0;       // bytes they span, newlines included
};

// The newline-terminated lines of a file (none if it does not exist); an unterminated tail is left out.
CompleteLines read_complete_lines(const std::filesystem::path& path);

// Appends one line (newline included by the caller) with a single write() and fsyncs it; after a torn last line
// it starts a new one.
void append_line_durably(const std::filesystem::path& path, std::string_view line);

// Whether a file open for reading and appending ends inside a line (a crash cut its last one short): an appender
// writes a newline first, so its line is not glued onto the torn one and lost with it.
bool ends_mid_line(int fd);

}  // namespace wf::core
