#pragma once
// Progress of a long command on stderr as one rewritten line (bar, rate, time left, loss when there is
// one); every event also goes to an events.jsonl when the user asked for one.

#include <memory>
#include <string>

#include "core/events.h"

namespace wf::app {

class ProgressLine final : public core::EventSink {
 public:
  // `what`: "extracting", "training xseg"...; `unit`: "frames", "steps"...
  ProgressLine(std::string what, std::string unit, const std::string& events_file);
  ~ProgressLine() override;
  void emit(const core::Event& event) override;

 private:
  std::string what_, unit_;
  std::unique_ptr<core::EventLog> log_;
};

}  // namespace wf::app
