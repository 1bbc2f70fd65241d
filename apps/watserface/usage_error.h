#pragma once
// A command line CLI11 refused, said in one short message with exit status 2 (CLI11's own statuses, 104 to 114,
// mean nothing to a user).

#include <string>
#include <string_view>

namespace CLI {
class App;
class ParseError;
}  // namespace CLI

namespace wf::app {

// CLI11's message with the numbers it echoes made short: a value typed with 300 digits, or a range that ends at
// the largest double, prints as "1e+300" / "1.79769e+308"; other long words are cut ("…").
std::string short_usage_message(std::string_view what);

// Prints the refusal (or the help and version CLI11 was asked for) and returns the exit status: 2, or 0 for those.
int usage_error(const CLI::App& app, const CLI::ParseError& error);

}  // namespace wf::app
