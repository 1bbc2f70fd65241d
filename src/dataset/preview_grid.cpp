#include "dataset/preview_grid.h"

#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "dataset/imagefolder.h"
#include "media/image_io.h"

namespace wf::dataset {
namespace {
constexpr int kLabel = 20;
}

cv::Mat make_preview_grid(const std::filesystem::path& dataset_folder, GridLayout layout) {
  const auto records = read_records(dataset_folder);
  const int count = static_cast<int>(records.size());
  const int columns = std::max(1, std::min(layout.columns, count));
  const int rows = std::max(1, (count + columns - 1) / columns);
  const int cell_height = layout.cell + kLabel;
  cv::Mat grid(rows * cell_height, columns * layout.cell, CV_8UC3, cv::Scalar(32, 32, 32));
  for (int i = 0; i < count; ++i) {
    const cv::Rect cell((i % columns) * layout.cell, (i / columns) * cell_height, layout.cell, layout.cell);
    cv::Mat face;
    cv::resize(media::read_image(dataset_folder / records[i].file_name()), face, cell.size(), 0, 0, cv::INTER_AREA);
    face.copyTo(grid(cell));
    char label[32];
    std::snprintf(label, sizeof(label), "%.2f", records[i].score);
    cv::putText(grid, label, {cell.x + 4, cell.y + layout.cell + 15}, cv::FONT_HERSHEY_SIMPLEX, 0.45,
                records[i].score >= 0.7f ? cv::Scalar(140, 230, 140) : cv::Scalar(80, 160, 255), 1, cv::LINE_AA);
  }
  return grid;
}

}  // namespace wf::dataset
