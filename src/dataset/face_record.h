#pragma once
// One face of a dataset: a line of metadata.jsonl in the Hugging Face imagefolder layout
// (format: docs/formats/dataset.md).

#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <opencv2/core/matx.hpp>
#include <opencv2/core/types.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wf::dataset {

enum class MaskOrigin { hull, xseg, painted };
std::string_view to_string(MaskOrigin origin);
MaskOrigin parse_mask_origin(std::string_view text);

struct FaceRecord {
  std::string id;            // file stem: images/<id>.png, masks/<id>.png
  std::string source;        // the media file the face came from
  std::int64_t frame_index = 0;
  double timestamp = 0;      // seconds into the video (0 for photos)
  cv::Rect2f bbox;           // in the source frame
  float score = 0;           // calibrated detection confidence
  std::array<cv::Point2f, 5> keypoints_5{};
  std::vector<cv::Point2f> landmarks_68;   // empty or 68
  std::vector<cv::Point3f> landmarks_478;  // empty or 478
  std::vector<float> embedding;            // empty or the embedder's dimension
  std::optional<MaskOrigin> mask_origin;   // set when masks/<id>.png exists
  bool arcface_crop = false;               // arcface/<id>.png (112x112, ArcFace template) exists
  std::optional<cv::Matx23f> crop_matrix;  // source frame -> images/<id>.png pixels (paste-back inverts it)
  std::string text;                        // the caption (imagefolder's `text` column); empty: the trainer's template

  std::string file_name() const { return "images/" + id + ".png"; }
  std::string mask_file_name() const { return "masks/" + id + ".png"; }
  std::string arcface_file_name() const { return "arcface/" + id + ".png"; }

  nlohmann::json to_json() const;
  // Throws wf::Error(corrupt_file) naming the field that is missing or malformed.
  static FaceRecord from_json(const nlohmann::json& value);
};

}  // namespace wf::dataset
