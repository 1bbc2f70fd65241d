#pragma once
// A mask the user painted over a face of a dataset (the browser app's mask painter): it replaces masks/<id>.png,
// the record becomes `painted`, and from then on XSeg trains on it as a label and applying XSeg keeps it.

#include <filesystem>
#include <opencv2/core/mat.hpp>
#include <string>

namespace wf::dataset {

// `mask`: 8-bit, one channel, the size of images/<id>.png (255: face). Throws wf::Error: not_found for an id the
// dataset lacks, invalid_input for a mask of another size or type.
void save_painted_mask(const std::filesystem::path& folder, const std::string& id, const cv::Mat& mask);

}  // namespace wf::dataset
