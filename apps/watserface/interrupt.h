#pragma once
// Ctrl-C (SIGINT) and SIGTERM as a flag long commands poll between steps, so they stop cleanly: a
// checkpoint written, nothing half-saved.

#include <atomic>

namespace wf::app {

// Installs the handlers (once) and returns the flag they set.
const std::atomic<bool>& interrupt_flag();

}  // namespace wf::app
