#pragma once
// CLI flags made from an option schema (core/option_schema.h): one --flag per option (--no-flag for a switch that
// is on by default) with the schema's help, default and range in its description, read back as the JSON the
// options parser takes, so the CLI and the HTTP API accept the same options with the same checks.

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/option_schema.h"

namespace CLI {
class App;
}

namespace wf::app {

class SchemaFlags {
 public:
  SchemaFlags(CLI::App& command, const core::OptionSchema& schema);
  // The options given on the command line (only those), typed as the schema says.
  nlohmann::json values() const;

 private:
  const core::OptionSchema& schema_;
  std::map<std::string, std::string> texts_;
  std::map<std::string, bool> flags_;
};

}  // namespace wf::app
