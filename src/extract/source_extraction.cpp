#include "extract/source_extraction.h"

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/json_io.h"
#include "core/jsonl.h"
#include "dataset/imagefolder.h"
#include "face/aligner.h"
#include "face/hull_mask.h"
#include "media/image_io.h"

namespace wf::extract {
namespace {

bool is_image(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp" || ext == ".bmp";
}

std::vector<std::filesystem::path> expand(const std::vector<std::filesystem::path>& inputs) {
  std::vector<std::filesystem::path> files;
  for (const auto& input : inputs) {
    if (std::filesystem::is_directory(input)) {
      std::vector<std::filesystem::path> found;
      for (const auto& entry : std::filesystem::directory_iterator(input)) {
        if (entry.is_regular_file() && is_image(entry.path())) found.push_back(entry.path());
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (std::filesystem::exists(input)) {
      files.push_back(input);
    } else {
      throw Error(ErrorCode::not_found, "source input not found", input, "check the path");
    }
  }
  return files;
}

cv::Point2f transform(const cv::Mat& m, cv::Point2f p) {
  return {static_cast<float>(m.at<double>(0, 0) * p.x + m.at<double>(0, 1) * p.y + m.at<double>(0, 2)),
          static_cast<float>(m.at<double>(1, 0) * p.x + m.at<double>(1, 1) * p.y + m.at<double>(1, 2))};
}

std::vector<float> normalised_mean(const std::vector<const std::vector<float>*>& vectors) {
  std::vector<float> mean(vectors.front()->size(), 0.f);
  for (const auto* v : vectors) {
    for (std::size_t i = 0; i < mean.size(); ++i) mean[i] += (*v)[i];
  }
  const float norm = std::sqrt(std::inner_product(mean.begin(), mean.end(), mean.begin(), 0.f));
  for (auto& value : mean) value /= std::max(norm, 1e-12f);
  return mean;
}

struct Analysed {
  face::Detection detection;
  face::Keypoints5 keypoints;
  face::Landmarks68 landmarks_68;
  std::optional<face::MeshResult> mesh;
  std::vector<float> embedding;
};

Analysed analyse(FaceAnalysers& analysers, const cv::Mat& frame, const face::Detection& detection) {
  Analysed a{detection, {}, analysers.landmarks_68.landmarks(frame, detection.box), analysers.landmarks_478.landmarks(frame, detection.box), {}};
  a.keypoints = a.mesh ? face::keypoints_from_478(a.mesh->points) : face::keypoints_from_68(a.landmarks_68);
  a.embedding = analysers.embedder->embed(frame, a.keypoints);
  return a;
}

class SourceExtractor {
 public:
  SourceExtractor(const SourceOptions& options, FaceAnalysers& analysers, core::EventSink* events)
      : options_(options),
        analysers_(analysers),
        events_(events),
        writer_(options.output, [&] {
          dataset::DatasetCard card;
          card.kind = "source";
          card.models = {{"face_detector", std::string(analysers.detector->name())},
                         {"landmarks", "dlib_68+facemesh_iris_478"},
                         {"face_embedder", analysers.embedder_name}};
          return card;
        }()) {
    if (options.reference) {
      const cv::Mat photo = media::read_image(*options.reference);
      const auto faces = analysers.detector->detect(photo);
      if (faces.empty()) {
        throw Error(ErrorCode::invalid_input, "no face found in the reference photo", *options.reference,
                    "use a photo where the person's face is clearly visible");
      }
      reference_ = analyse(analysers, photo, faces.front()).embedding;
    }
    for (const auto& line : core::read_complete_lines(options.output / "skipped.jsonl").lines) {
      const auto entry = nlohmann::json::parse(line, nullptr, false);
      if (entry.is_object() && entry.contains("id") && entry.contains("reason")) skipped_[entry["id"]] = entry["reason"];
    }
  }

  void frame(const cv::Mat& image, const std::filesystem::path& source, std::int64_t index, double timestamp) {
    ++summary_.frames;
    char id[512];
    std::snprintf(id, sizeof(id), "%s_%06lld", source.stem().string().c_str(), static_cast<long long>(index));
    if (writer_.contains(id)) return;  // done by an earlier run
    if (const auto it = skipped_.find(id); it != skipped_.end()) {
      count(it->second);
      return;
    }
    const auto detections = analysers_.detector->detect(image);
    std::optional<Analysed> chosen;
    if (reference_) {
      float best = 0.4f;  // below this it is someone else
      for (const auto& detection : detections) {
        Analysed a = analyse(analysers_, image, detection);
        const float similarity = face::cosine_similarity(a.embedding, *reference_);
        if (similarity > best) {
          best = similarity;
          chosen = std::move(a);
        }
      }
    } else if (!detections.empty()) {
      const auto largest = std::max_element(detections.begin(), detections.end(), [](const auto& a, const auto& b) {
        return a.box.area() < b.box.area();
      });
      chosen = analyse(analysers_, image, *largest);
    }
    if (!chosen) return skip(id, "no_face");
    if (is_repeat(*chosen, source)) return skip(id, "duplicate");
    last_ = {source, chosen->embedding, chosen->keypoints};
    write(*chosen, image, source, id, index, timestamp);
  }

  SourceSummary finish() {
    const auto records = dataset::read_records(options_.output);
    summary_.faces = static_cast<int>(records.size());
    if (!records.empty()) {
      std::vector<const std::vector<float>*> all;
      for (const auto& r : records) all.push_back(&r.embedding);
      const auto first_mean = normalised_mean(all);
      std::vector<const std::vector<float>*> kept;
      for (const auto& r : records) {
        if (face::cosine_similarity(r.embedding, first_mean) < options_.outlier_similarity) {
          summary_.outliers.push_back(r.id);
        } else {
          kept.push_back(&r.embedding);
        }
      }
      summary_.identity = normalised_mean(kept.empty() ? all : kept);
      core::write_json_file(options_.output / "identity.json",
                            {{"embedding", summary_.identity},
                             {"embedder", analysers_.embedder_name},
                             {"faces", static_cast<int>(kept.size())},
                             {"outliers", summary_.outliers}});
    }
    writer_.finish();
    return summary_;
  }

 private:
  struct Last {
    std::filesystem::path source;
    std::vector<float> embedding;
    face::Keypoints5 keypoints;
  };

  // Skipped frames are listed in skipped.jsonl, so a resumed run skips them too and a user sees why.
  void skip(const std::string& id, const std::string& reason) {
    core::append_line_durably(options_.output / "skipped.jsonl", nlohmann::json{{"id", id}, {"reason", reason}}.dump() + "\n");
    skipped_[id] = reason;
    count(reason);
  }

  void count(const std::string& reason) { ++(reason == "duplicate" ? summary_.duplicates : summary_.without_face); }

  bool is_repeat(const Analysed& a, const std::filesystem::path& source) const {
    if (!last_ || last_->source != source) return false;
    const float eye_distance = static_cast<float>(cv::norm(a.keypoints[1] - a.keypoints[0]));
    float motion = 0;
    for (std::size_t i = 0; i < 5; ++i) motion = std::max(motion, static_cast<float>(cv::norm(a.keypoints[i] - last_->keypoints[i])));
    return face::cosine_similarity(a.embedding, last_->embedding) >= options_.duplicate_similarity &&
           motion < options_.duplicate_motion * eye_distance;
  }

  void write(const Analysed& a, const cv::Mat& image, const std::filesystem::path& source, const std::string& id,
             std::int64_t index, double timestamp) {
    const face::AlignedFace crop = face::align_face(image, a.keypoints, face::AlignTemplate::ffhq, options_.crop_size);
    dataset::FaceRecord record;
    record.id = id;
    record.source = source.filename().string();
    record.frame_index = index;
    record.timestamp = timestamp;
    record.bbox = a.detection.box;
    record.score = a.detection.score;
    for (std::size_t i = 0; i < 5; ++i) record.keypoints_5[i] = transform(crop.matrix, a.keypoints[i]);
    for (const auto& p : a.landmarks_68) record.landmarks_68.push_back(transform(crop.matrix, p));
    std::vector<cv::Point2f> hull_points = record.landmarks_68;
    if (a.mesh) {
      const double scale = std::sqrt(cv::determinant(crop.matrix(cv::Rect(0, 0, 2, 2))));
      hull_points.clear();
      for (const auto& p : a.mesh->points) {
        const cv::Point2f q = transform(crop.matrix, {p.x, p.y});
        record.landmarks_478.emplace_back(q.x, q.y, static_cast<float>(p.z * scale));
        hull_points.push_back(q);
      }
    }
    record.embedding = a.embedding;
    record.mask_origin = dataset::MaskOrigin::hull;
    const cv::Mat mask = face::hull_mask(crop.image.size(), hull_points, options_.crop_size / 32.f);
    writer_.add(record, crop.image, mask);
    if (events_) {
      core::Event event;
      event.phase = {"extract", 1, 1};
      event.kind = core::EventKind::step;
      event.step = summary_.frames;
      event.message = record.file_name();
      events_->emit(event);
    }
  }

  const SourceOptions& options_;
  FaceAnalysers& analysers_;
  core::EventSink* events_;
  dataset::DatasetWriter writer_;
  std::optional<std::vector<float>> reference_;
  std::optional<Last> last_;
  std::map<std::string, std::string> skipped_;  // id -> "duplicate" | "no_face"
  SourceSummary summary_;
};

}  // namespace

SourceSummary extract_source(const SourceOptions& options, FaceAnalysers& analysers, core::EventSink* events) {
  SourceExtractor extractor(options, analysers, events);
  for (const auto& file : expand(options.inputs)) {
    if (is_image(file)) {
      extractor.frame(media::read_image(file), file, 0, 0.0);
      continue;
    }
    media::VideoReader video(file, options.sampling);
    while (auto frame = video.next()) extractor.frame(frame->image, file, frame->index, frame->timestamp);
  }
  return extractor.finish();
}

}  // namespace wf::extract
