#include "extract/target_extraction.h"

#include "dataset/imagefolder.h"

namespace wf::extract {
namespace {

dataset::VideoReference video_reference(const std::filesystem::path& video, const media::VideoInfo& info) {
  return {std::filesystem::absolute(video), std::filesystem::file_size(video), info.width, info.height, info.fps};
}

// Follows the target face across frames: the tracker keeps its id, and when the track is lost (a long
// occlusion, a cut) the face closest to the target's identity takes over.
class TargetFollower {
 public:
  TargetFollower(const TargetOptions& options, models::FaceAnalysers& analysers, models::StageTimes& times)
      : options_(options), analysers_(analysers), times_(times), tracker_(options.tracker) {
    if (options.reference) identity_ = models::reference_embedding(analysers, *options.reference);
  }

  // The target among this frame's detections, analysed; nullopt when it is not there.
  std::optional<models::AnalysedFace> find(const cv::Mat& image, const std::vector<face::Detection>& detections) {
    const auto ids = tracker_.update(detections);
    const auto tracked = target_ ? std::find(ids.begin(), ids.end(), *target_) : ids.end();
    if (tracked != ids.end()) {
      models::AnalysedFace face = models::analyse_face(analysers_, image, detections[static_cast<std::size_t>(tracked - ids.begin())], times_);
      if (!identity_) identity_ = face.embedding;
      return face;
    }
    if (detections.empty()) return std::nullopt;
    if (!identity_) {  // the first face seen: the largest one
      std::size_t pick = 0;
      for (std::size_t i = 1; i < detections.size(); ++i) {
        if (detections[i].box.area() > detections[pick].box.area()) pick = i;
      }
      target_ = ids[pick];
      models::AnalysedFace face = models::analyse_face(analysers_, image, detections[pick], times_);
      identity_ = face.embedding;
      return face;
    }
    std::optional<models::AnalysedFace> best;
    float best_similarity = options_.reacquire_similarity;
    for (std::size_t i = 0; i < detections.size(); ++i) {
      models::AnalysedFace face = models::analyse_face(analysers_, image, detections[i], times_);
      const float similarity = face::cosine_similarity(face.embedding, *identity_);
      if (similarity >= best_similarity) {
        best_similarity = similarity;
        target_ = ids[i];
        best = std::move(face);
      }
    }
    return best;
  }

 private:
  const TargetOptions& options_;
  models::FaceAnalysers& analysers_;
  models::StageTimes& times_;
  face::FaceTracker tracker_;
  std::optional<int> target_;
  std::optional<std::vector<float>> identity_;  // the reference photo's, else the first tracked face's
};

}  // namespace

TargetSummary extract_target(const TargetOptions& options, models::FaceAnalysers& analysers, core::EventSink* events,
                    const std::atomic<bool>* cancel) {
  media::VideoReader video(options.video, options.sampling);  // a bad video fails here, before any folder is made
  dataset::DatasetCard card = extraction_card("target", analysers);
  card.video = video_reference(options.video, video.info());
  dataset::DatasetWriter writer(options.output, card);
  SkipList skipped(options.output);
  TargetSummary summary;
  TargetFollower follower(options, analysers, summary.times);
  ExtractionProgress progress(events, video.expected_frames());

  // Every frame goes through detection and the follower, even when resuming, so the identity stays the same.
  while (true) {
    std::optional<media::Frame> frame;
    {
      const models::StageTimer timer(summary.times.decode);
      frame = video.next();
    }
    if (!frame) break;
    stop_if_cancelled(cancel, options.output);
    ++summary.frames;
    const FrameOrigin origin{options.video, frame->index, frame->timestamp};
    const std::string id = origin.id();
    std::vector<face::Detection> detections;
    {
      const models::StageTimer timer(summary.times.detect);
      detections = analysers.detector->detect(frame->image);
    }
    const auto target = follower.find(frame->image, detections);
    if (!target) {
      summary.frames_without_face.push_back(frame->index);
      if (!skipped.reason(id)) skipped.add(id, "no_face");
    } else if (!writer.contains(id)) {  // else written by an earlier, interrupted run
      const models::StageTimer timer(summary.times.write);
      add_face(writer, *target, frame->image, origin, options.crop_size);
    }
    progress.frame_done(summary.frames, id);
  }
  summary.faces = static_cast<int>(writer.size());
  writer.finish();
  return summary;
}

}  // namespace wf::extract
