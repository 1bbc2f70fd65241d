#pragma once
// The ranges XSeg training and its model take, apart from the code (and libtorch) that uses them, so the pipeline's
// settings check reads them without linking a trainer.

namespace wf::xseg {

// The network's input sizes: multiples of 32 (the encoder halves five times) in this range.
inline constexpr int kMinResolution = 32, kMaxResolution = 1024;
inline constexpr int kMaxEpochs = 10000;

}  // namespace wf::xseg
