#include "dataset/face_record.h"

#include <nlohmann/json.hpp>

#include "core/enum_names.h"
#include "core/error.h"
#include "core/json_number.h"

namespace wf::dataset {
namespace {

constexpr std::array<core::EnumName<MaskOrigin>, 3> kOrigins{
    {{MaskOrigin::hull, "hull"}, {MaskOrigin::xseg, "xseg"}, {MaskOrigin::painted, "painted"}}};

nlohmann::json points_2d(const auto& points) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : points) out.push_back({p.x, p.y});
  return out;
}

std::vector<cv::Point2f> read_2d(const nlohmann::json& value, const char* field, std::size_t expected) {
  std::vector<cv::Point2f> points;
  if (value.is_null()) return points;
  for (const auto& p : value) {
    points.emplace_back(core::json_number<float>(p.at(0), field), core::json_number<float>(p.at(1), field));
  }
  if (points.size() != expected) {
    throw Error(ErrorCode::corrupt_file, std::string(field) + " has " + std::to_string(points.size()) +
                                             " points, not " + std::to_string(expected));
  }
  return points;
}

}  // namespace

std::string_view to_string(MaskOrigin origin) {
  return core::enum_to_string(kOrigins, origin);
}
MaskOrigin parse_mask_origin(std::string_view text) {
  return core::parse_enum(kOrigins, text, "mask origin");
}

nlohmann::json FaceRecord::to_json() const {
  nlohmann::json landmarks_3d = nullptr;
  if (!landmarks_478.empty()) {
    landmarks_3d = nlohmann::json::array();
    for (const auto& p : landmarks_478) landmarks_3d.push_back({p.x, p.y, p.z});
  }
  nlohmann::json matrix = nullptr;
  if (crop_matrix) {
    const auto& m = *crop_matrix;
    matrix = {{m(0, 0), m(0, 1), m(0, 2)}, {m(1, 0), m(1, 1), m(1, 2)}};
  }
  return {{"file_name", file_name()},
          {"id", id},
          {"source", source},
          {"frame_index", frame_index},
          {"timestamp", timestamp},
          {"bbox", {bbox.x, bbox.y, bbox.width, bbox.height}},
          {"score", score},
          {"keypoints_5", points_2d(keypoints_5)},
          {"landmarks_68", landmarks_68.empty() ? nlohmann::json(nullptr) : points_2d(landmarks_68)},
          {"landmarks_478", landmarks_3d},
          {"embedding", embedding},
          {"mask_file_name", mask_origin ? nlohmann::json(mask_file_name()) : nlohmann::json(nullptr)},
          {"mask_origin", mask_origin ? nlohmann::json(std::string(to_string(*mask_origin))) : nlohmann::json(nullptr)},
          {"arcface_file_name", arcface_crop ? nlohmann::json(arcface_file_name()) : nlohmann::json(nullptr)},
          {"crop_matrix", matrix},
          {"text", text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text)}};
}

FaceRecord FaceRecord::from_json(const nlohmann::json& value) {
  const char* field = "id";
  try {
    FaceRecord record;
    record.id = value.at(field).get<std::string>();
    if (value.at(field = "file_name").get<std::string>() != record.file_name()) {
      throw Error(ErrorCode::corrupt_file, "file_name does not match id '" + record.id + "'");
    }
    record.source = value.at(field = "source").get<std::string>();
    record.frame_index = core::json_number<std::int64_t>(value.at(field = "frame_index"), "frame_index");
    record.timestamp = core::json_number<double>(value.at(field = "timestamp"), "timestamp");
    const auto box = core::json_numbers<float>(value.at(field = "bbox"), "bbox");
    if (box.size() != 4) throw Error(ErrorCode::corrupt_file, "bbox must be [x, y, width, height]");
    record.bbox = {box[0], box[1], box[2], box[3]};
    record.score = core::json_number<float>(value.at(field = "score"), "score");
    const auto keypoints = read_2d(value.at(field = "keypoints_5"), "keypoints_5", 5);
    std::copy(keypoints.begin(), keypoints.end(), record.keypoints_5.begin());
    record.landmarks_68 = read_2d(value.at(field = "landmarks_68"), "landmarks_68", 68);
    const auto& mesh = value.at(field = "landmarks_478");
    if (!mesh.is_null()) {
      for (const auto& p : mesh) {
        record.landmarks_478.emplace_back(core::json_number<float>(p.at(0), field),
                                          core::json_number<float>(p.at(1), field),
                                          core::json_number<float>(p.at(2), field));
      }
      if (record.landmarks_478.size() != 478)
        throw Error(ErrorCode::corrupt_file, "landmarks_478 must hold 478 points");
    }
    record.embedding = core::json_numbers<float>(value.at(field = "embedding"), "embedding");
    const auto& origin = value.at(field = "mask_origin");
    if (!origin.is_null()) record.mask_origin = parse_mask_origin(origin.get<std::string>());
    const auto& mask = value.at(field = "mask_file_name");
    if (mask.is_null() != !record.mask_origin ||
        (!mask.is_null() && mask.get<std::string>() != record.mask_file_name())) {
      throw Error(ErrorCode::corrupt_file, "mask_file_name and mask_origin disagree");
    }
    const auto& arcface = value.at(field = "arcface_file_name");
    record.arcface_crop = !arcface.is_null();
    if (record.arcface_crop && arcface.get<std::string>() != record.arcface_file_name()) {
      throw Error(ErrorCode::corrupt_file, "arcface_file_name does not match id '" + record.id + "'");
    }
    const auto& matrix = value.at(field = "crop_matrix");
    if (!matrix.is_null()) {
      std::vector<std::vector<float>> rows;
      for (const auto& row : matrix) rows.push_back(core::json_numbers<float>(row, field));
      if (rows.size() != 2 || rows[0].size() != 3 || rows[1].size() != 3) {
        throw Error(ErrorCode::corrupt_file, "crop_matrix must be 2 rows of 3 numbers");
      }
      record.crop_matrix = cv::Matx23f(rows[0][0], rows[0][1], rows[0][2], rows[1][0], rows[1][1], rows[1][2]);
    }
    if (const auto caption = value.find("text"); caption != value.end() && !caption->is_null()) {
      field = "text";
      record.text = caption->get<std::string>();
    }
    return record;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::corrupt_file,
                std::string("field '") + field + "' is missing or malformed (" + e.what() + ")");
  }
}

}  // namespace wf::dataset
