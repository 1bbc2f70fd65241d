#pragma once
// The contact sheet the wizard shows after extraction: every face of a dataset in a grid, each labelled
// with its detection score, so a user can spot and drop bad faces.

#include <filesystem>
#include <opencv2/core/mat.hpp>

namespace wf::dataset {

struct GridLayout {
  int columns = 8;
  int cell = 128;  // pixels per face
};

// Faces in metadata order, row by row; a 20-pixel label strip under each. Throws what read_records throws.
cv::Mat make_preview_grid(const std::filesystem::path& dataset_folder, GridLayout layout = {});

}  // namespace wf::dataset
