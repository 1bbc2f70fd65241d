#pragma once
// Runs a trained XSeg model over every face of a target dataset: batched prediction, temporal smoothing of
// the probabilities across consecutive frames, threshold and feather, written as masks/<id>.png with
// mask_origin "xseg". Painted masks are the user's own and are left alone.

#include <filesystem>

#include "core/events.h"

namespace wf::xseg {

struct XSegApplyOptions {
  std::filesystem::path dataset;
  std::filesystem::path model;   // an XSeg model folder
  float threshold = 0.5f;
  float feather = 1.f / 64;      // Gaussian feather, as a fraction of the crop size
  float smoothing = 0.3f;        // weight of the previous frame's probabilities (0: none)
  int batch_size = 8;
  std::string device = "cpu";
};

struct XSegApplySummary {
  int masks = 0;         // written by XSeg
  int painted_kept = 0;  // left as the user painted them
};

// Throws wf::Error: what loading the model throws (xseg_model.h), and invalid_input naming the model when every
// mask it makes is empty, before any mask file is written.
XSegApplySummary apply_xseg(const XSegApplyOptions& options, core::EventSink* events = nullptr);

}  // namespace wf::xseg
