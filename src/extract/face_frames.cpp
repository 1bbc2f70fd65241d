#include "extract/face_frames.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "core/error.h"
#include "core/jsonl.h"
#include "core/utf8.h"
#include "face/aligner.h"
#include "face/hull_mask.h"
#include "media/image_io.h"

namespace wf::extract {
namespace {

// A file name as the dataset's JSON can hold it: a byte that is not UTF-8 (a Latin-1 "caf\xe9.jpg") becomes U+FFFD.
// The name is shown, never reopened: ids name the dataset's own files, which are written under the same text.
std::string shown_name(const std::filesystem::path& name) {
  return core::printable_excerpt(name.string(), std::string::npos);
}

}  // namespace

dataset::DatasetCard extraction_card(const std::string& kind, const models::FaceAnalysers& analysers) {
  dataset::DatasetCard card;
  card.kind = kind;
  card.models = {{"face_detector", std::string(analysers.detector->name())},
                 {"landmarks", "dlib_68+facemesh_iris_478"},
                 {"face_embedder", analysers.embedder_name}};
  return card;
}

ExtractionProgress::ExtractionProgress(core::EventSink* events, std::optional<std::int64_t> expected_frames)
    : events_(events), meter_({"extract", 1, 1}, expected_frames) {}

void ExtractionProgress::frame_done(std::int64_t frames_seen, const std::string& message) {
  if (events_) events_->emit(meter_.step(frames_seen, message));
}

void stop_if_cancelled(const std::atomic<bool>* cancel, const std::filesystem::path& dataset) {
  if (cancel && cancel->load()) {
    throw Error(ErrorCode::cancelled, "the extraction was stopped; the faces so far are kept", dataset,
                "run it again to continue");
  }
}

std::string FrameOrigin::id() const {
  char text[512];
  std::snprintf(text, sizeof(text), "%s_%06lld", shown_name(source.stem()).c_str(), static_cast<long long>(index));
  return text;
}

dataset::FaceRecord add_face(dataset::DatasetWriter& writer, const models::AnalysedFace& face, const cv::Mat& frame,
                             const FrameOrigin& origin, int crop_size) {
  const face::AlignedFace crop = face::align_face(frame, face.keypoints, face::AlignTemplate::ffhq, crop_size);
  dataset::FaceRecord record;
  record.id = origin.id();
  record.source = shown_name(origin.source.filename());
  record.frame_index = origin.index;
  record.timestamp = origin.timestamp;
  record.bbox = face.detection.box;
  record.score = face.detection.score;
  std::vector<cv::Point2f> keypoints(face.keypoints.begin(), face.keypoints.end());
  cv::transform(keypoints, keypoints, crop.matrix);
  std::copy(keypoints.begin(), keypoints.end(), record.keypoints_5.begin());
  cv::transform(std::vector<cv::Point2f>(face.landmarks_68.begin(), face.landmarks_68.end()), record.landmarks_68,
                crop.matrix);
  std::vector<cv::Point2f> hull_points = record.landmarks_68;
  if (face.mesh) {
    std::vector<cv::Point2f> mesh_xy;
    for (const auto& p : face.mesh->points) mesh_xy.emplace_back(p.x, p.y);
    cv::transform(mesh_xy, hull_points, crop.matrix);
    const double scale = std::sqrt(cv::determinant(crop.matrix(cv::Rect(0, 0, 2, 2))));
    for (std::size_t i = 0; i < hull_points.size(); ++i) {
      record.landmarks_478.emplace_back(hull_points[i].x, hull_points[i].y,
                                        static_cast<float>(face.mesh->points[i].z * scale));
    }
  }
  record.embedding = face.embedding;
  record.mask_origin = dataset::MaskOrigin::hull;
  record.arcface_crop = true;
  record.crop_matrix = cv::Matx23f(crop.matrix);
  writer.add(record, {crop.image, face::hull_mask(crop.image.size(), hull_points, crop_size / 32.f),
                      face::align_face(frame, face.keypoints, face::AlignTemplate::arcface, 112).image});
  return record;
}

SkipList::SkipList(std::filesystem::path folder) : path_(std::move(folder) / "skipped.jsonl") {
  for (const auto& line : core::read_complete_lines(path_).lines) {
    const auto entry = nlohmann::json::parse(line, nullptr, false);
    if (entry.is_object() && entry.contains("id") && entry.contains("reason")) reasons_[entry["id"]] = entry["reason"];
  }
}

std::optional<std::string> SkipList::reason(const std::string& id) const {
  const auto it = reasons_.find(id);
  return it == reasons_.end() ? std::nullopt : std::optional<std::string>(it->second);
}

void SkipList::add(const std::string& id, const std::string& reason) {
  std::filesystem::create_directories(path_.parent_path());  // the first frame of a run may be the first left out
  core::append_line_durably(path_, nlohmann::json{{"id", id}, {"reason", reason}}.dump() + "\n");
  reasons_[id] = reason;
}

}  // namespace wf::extract
