#pragma once
// Text that came from outside (request paths, file names) checked as UTF-8 before it reaches JSON, whose writer
// refuses anything else.

#include <string>
#include <string_view>

namespace wf::core {

// Well-formed UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates, nothing past U+10FFFF.
bool is_utf8(std::string_view text);

// `text` for a message: at most `limit` bytes (cut at a character, "…" added), bytes that are not UTF-8 as U+FFFD.
std::string printable_excerpt(std::string_view text, std::size_t limit = 80);

}  // namespace wf::core
