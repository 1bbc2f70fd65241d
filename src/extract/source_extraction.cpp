#include "extract/source_extraction.h"

#include <nlohmann/json.hpp>
#include <numeric>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/json_io.h"
#include "dataset/imagefolder.h"
#include "extract/face_frames.h"
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

std::vector<float> normalised_mean(const std::vector<const std::vector<float>*>& vectors) {
  std::vector<float> mean(vectors.front()->size(), 0.f);
  for (const auto* v : vectors) {
    for (std::size_t i = 0; i < mean.size(); ++i) mean[i] += (*v)[i];
  }
  const float norm = std::sqrt(std::inner_product(mean.begin(), mean.end(), mean.begin(), 0.f));
  for (auto& value : mean) value /= std::max(norm, 1e-12f);
  return mean;
}

class SourceExtractor {
 public:
  SourceExtractor(const SourceOptions& options, FaceAnalysers& analysers, core::EventSink* events)
      : options_(options),
        analysers_(analysers),
        events_(events),
        writer_(options.output, extraction_card("source", analysers)),
        skipped_(options.output) {
    if (options.reference) reference_ = reference_embedding(analysers, *options.reference);
  }

  void frame(const cv::Mat& image, const std::filesystem::path& source, std::int64_t index, double timestamp) {
    ++summary_.frames;
    const FrameOrigin origin{source, index, timestamp};
    const std::string id = origin.id();
    if (writer_.contains(id)) return;  // done by an earlier run
    if (const auto reason = skipped_.reason(id)) return count(*reason);
    const auto detections = analysers_.detector->detect(image);
    std::optional<AnalysedFace> chosen;
    if (reference_) {
      float best = 0.4f;  // below this it is someone else
      for (const auto& detection : detections) {
        AnalysedFace a = analyse_face(analysers_, image, detection);
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
      chosen = analyse_face(analysers_, image, *largest);
    }
    if (!chosen) return skip(id, "no_face");
    if (is_repeat(*chosen, source)) return skip(id, "duplicate");
    last_ = {source, chosen->embedding, chosen->keypoints};
    emit_extracted(events_, summary_.frames, add_face(writer_, *chosen, image, origin, options_.crop_size));
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
    skipped_.add(id, reason);
    count(reason);
  }

  void count(const std::string& reason) { ++(reason == "duplicate" ? summary_.duplicates : summary_.without_face); }

  bool is_repeat(const AnalysedFace& a, const std::filesystem::path& source) const {
    if (!last_ || last_->source != source) return false;
    const float eye_distance = static_cast<float>(cv::norm(a.keypoints[1] - a.keypoints[0]));
    float motion = 0;
    for (std::size_t i = 0; i < 5; ++i) motion = std::max(motion, static_cast<float>(cv::norm(a.keypoints[i] - last_->keypoints[i])));
    return face::cosine_similarity(a.embedding, last_->embedding) >= options_.duplicate_similarity &&
           motion < options_.duplicate_motion * eye_distance;
  }

  const SourceOptions& options_;
  FaceAnalysers& analysers_;
  core::EventSink* events_;
  dataset::DatasetWriter writer_;
  std::optional<std::vector<float>> reference_;
  std::optional<Last> last_;
  SkipList skipped_;
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
