#include "extract/source_extraction.h"

#include <nlohmann/json.hpp>
#include <numeric>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/json_io.h"
#include "dataset/imagefolder.h"
#include "extract/face_frames.h"
#include "extract/source_identity.h"
#include "media/image_io.h"

namespace wf::extract {
namespace {

std::vector<std::filesystem::path> expand(const std::vector<std::filesystem::path>& inputs) {
  std::vector<std::filesystem::path> files;
  for (const auto& input : inputs) {
    if (std::filesystem::is_directory(input)) {
      std::vector<std::filesystem::path> found;
      for (const auto& entry : std::filesystem::directory_iterator(input)) {
        if (entry.is_regular_file() && media::is_image_file(entry.path())) found.push_back(entry.path());
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

class SourceExtractor {
 public:
  SourceExtractor(const SourceOptions& options, models::FaceAnalysers& analysers, core::EventSink* events,
                  std::optional<std::int64_t> expected_frames)
      : options_(options),
        analysers_(analysers),
        events_(events),
        progress_(events, expected_frames),
        writer_(options.output, extraction_card("source", analysers)),
        skipped_(options.output) {
    if (options.reference) reference_ = models::reference_embedding(analysers, *options.reference);
  }

  void frame(const cv::Mat& image, const std::filesystem::path& source, std::int64_t index, double timestamp) {
    ++summary_.frames;
    const FrameOrigin origin{source, index, timestamp};
    analyse(image, origin);
    progress_.frame_done(summary_.frames, origin.id());
  }

  // A file that cannot be read is left out with a warning; the other inputs go on.
  void unreadable(const Error& error) {
    summary_.unreadable.push_back(error.what());
    if (!events_) return;
    core::Event event;
    event.phase = {"extract", 1, 1};
    event.kind = core::EventKind::warning;
    event.message = error.what();
    events_->emit(event);
  }

  models::StageTimes& times() { return summary_.times; }

  SourceSummary finish() {
    summary_.faces = static_cast<int>(writer_.size());  // with the faces of an earlier, interrupted run
    if (summary_.faces > 0) {
      const SourceIdentity identity =
          write_source_identity(options_.output, analysers_.embedder_name, options_.outlier_similarity);
      summary_.identity = identity.embedding;
      summary_.outliers = identity.outliers;
    }
    writer_.finish();
    return summary_;
  }

 private:
  void analyse(const cv::Mat& image, const FrameOrigin& origin) {
    const std::string id = origin.id();
    if (writer_.contains(id)) return;  // done by an earlier run
    if (const auto reason = skipped_.reason(id)) return count(*reason);
    std::vector<face::Detection> detections;
    {
      const models::StageTimer timer(summary_.times.detect);
      detections = analysers_.detector->detect(image);
    }
    std::optional<models::AnalysedFace> chosen;
    if (reference_) {
      float best = 0.4f;  // below this it is someone else
      for (const auto& detection : detections) {
        models::AnalysedFace a = models::analyse_face(analysers_, image, detection, summary_.times);
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
      chosen = models::analyse_face(analysers_, image, *largest, summary_.times);
    }
    if (!chosen) return skip(id, "no_face");
    if (is_repeat(*chosen, origin.source)) return skip(id, "duplicate");
    last_ = {origin.source, chosen->embedding, chosen->keypoints};
    const models::StageTimer timer(summary_.times.write);
    add_face(writer_, *chosen, image, origin, options_.crop_size);
  }

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

  void count(const std::string& reason) {
    if (reason == "dropped") return;  // a face the user dropped after an earlier run
    ++(reason == "duplicate" ? summary_.duplicates : summary_.without_face);
  }

  bool is_repeat(const models::AnalysedFace& a, const std::filesystem::path& source) const {
    if (!last_ || last_->source != source) return false;
    const float eye_distance = static_cast<float>(cv::norm(a.keypoints[1] - a.keypoints[0]));
    float motion = 0;
    for (std::size_t i = 0; i < 5; ++i) motion = std::max(motion, static_cast<float>(cv::norm(a.keypoints[i] - last_->keypoints[i])));
    return face::cosine_similarity(a.embedding, last_->embedding) >= options_.duplicate_similarity &&
           motion < options_.duplicate_motion * eye_distance;
  }

  const SourceOptions& options_;
  models::FaceAnalysers& analysers_;
  core::EventSink* events_;
  ExtractionProgress progress_;
  dataset::DatasetWriter writer_;
  std::optional<std::vector<float>> reference_;
  std::optional<Last> last_;
  SkipList skipped_;
  SourceSummary summary_;
};

}  // namespace

SourceSummary extract_source(const SourceOptions& options, models::FaceAnalysers& analysers, core::EventSink* events,
                    const std::atomic<bool>* cancel) {
  const auto files = expand(options.inputs);
  std::optional<std::int64_t> expected = 0;
  for (const auto& file : files) {
    if (media::is_image_file(file)) {
      *expected += 1;
      continue;
    }
    try {
      const auto frames = media::VideoReader(file, options.sampling).expected_frames();
      expected = expected && frames ? std::optional(*expected + *frames) : std::nullopt;
    } catch (const Error&) {  // reported when its turn comes
    }
    if (!expected) break;
  }
  SourceExtractor extractor(options, analysers, events, expected);
  std::optional<Error> first_failure;
  bool any_read = false;
  for (const auto& file : files) {
    try {
      if (media::is_image_file(file)) {
        stop_if_cancelled(cancel, options.output);
        cv::Mat image;
        {
          const models::StageTimer timer(extractor.times().decode);
          image = media::read_image(file);
        }
        extractor.frame(image, file, 0, 0.0);
        any_read = true;
        continue;
      }
      media::VideoReader video(file, options.sampling);
      any_read = true;
      while (true) {
        std::optional<media::Frame> frame;
        {
          const models::StageTimer timer(extractor.times().decode);
          frame = video.next();
        }
        if (!frame) break;
        stop_if_cancelled(cancel, options.output);
        extractor.frame(frame->image, file, frame->index, frame->timestamp);
      }
    } catch (const Error& e) {
      if (e.path() != file) throw;  // not the input's fault: a model, the disk
      extractor.unreadable(e);
      if (!first_failure) first_failure = e;
    }
  }
  if (!any_read && first_failure) throw *first_failure;  // nothing could be read at all
  return extractor.finish();
}

}  // namespace wf::extract
