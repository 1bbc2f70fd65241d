#include "dataset/painted_mask.h"

#include <algorithm>
#include <opencv2/imgcodecs.hpp>

#include "core/error.h"
#include "dataset/imagefolder.h"
#include "media/image_io.h"

namespace wf::dataset {

void save_painted_mask(const std::filesystem::path& folder, const std::string& id, const cv::Mat& mask) {
  auto records = read_records(folder);
  const auto record = std::find_if(records.begin(), records.end(), [&](const auto& r) { return r.id == id; });
  if (record == records.end()) {
    throw Error(ErrorCode::not_found, "the dataset has no face '" + id + "'", folder, "");
  }
  const cv::Size crop = cv::imread((folder / record->file_name()).string(), cv::IMREAD_UNCHANGED).size();
  if (mask.type() != CV_8UC1 || mask.size() != crop) {
    throw Error(ErrorCode::invalid_input,
                "the painted mask is " + std::to_string(mask.cols) + "x" + std::to_string(mask.rows) + " but face '" +
                    id + "' is " + std::to_string(crop.width) + "x" + std::to_string(crop.height),
                folder, "paint on the face crop at its own size");
  }
  media::write_image(folder / record->mask_file_name(), mask);
  record->mask_origin = MaskOrigin::painted;
  rewrite_records(folder, records);
}

}  // namespace wf::dataset
