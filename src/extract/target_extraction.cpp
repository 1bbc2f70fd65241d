#include "extract/target_extraction.h"

#include "dataset/imagefolder.h"
#include "extract/face_frames.h"
#include "face/tracker.h"

namespace wf::extract {

TargetSummary extract_target(const TargetOptions& options, FaceAnalysers& analysers, core::EventSink* events) {
  dataset::DatasetWriter writer(options.output, extraction_card("target", analysers));
  SkipList skipped(options.output);
  std::optional<std::vector<float>> reference;
  if (options.reference) reference = reference_embedding(analysers, *options.reference);

  // Every frame goes through detection and the tracker, even when resuming, so identities stay continuous.
  face::FaceTracker tracker;
  std::optional<int> target;
  TargetSummary summary;
  media::VideoReader video(options.video, options.sampling);
  while (auto frame = video.next()) {
    ++summary.frames;
    const FrameOrigin origin{options.video, frame->index, frame->timestamp};
    const auto detections = analysers.detector->detect(frame->image);
    const auto ids = tracker.update(detections);
    if (!target && !detections.empty()) {
      std::size_t pick = 0;
      if (reference) {
        float best = -1;
        for (std::size_t i = 0; i < detections.size(); ++i) {
          const float similarity = face::cosine_similarity(
              analyse_face(analysers, frame->image, detections[i]).embedding, *reference);
          if (similarity > best) {
            best = similarity;
            pick = i;
          }
        }
      } else {
        for (std::size_t i = 1; i < detections.size(); ++i) {
          if (detections[i].box.area() > detections[pick].box.area()) pick = i;
        }
      }
      target = ids[pick];
    }
    const auto found = target ? std::find(ids.begin(), ids.end(), *target) : ids.end();
    const std::string id = origin.id();
    if (found == ids.end()) {
      summary.frames_without_face.push_back(frame->index);
      if (!skipped.reason(id)) skipped.add(id, "no_face");
      continue;
    }
    if (writer.contains(id)) continue;  // written by an earlier, interrupted run
    const auto& detection = detections[static_cast<std::size_t>(found - ids.begin())];
    emit_extracted(events, summary.frames,
                   add_face(writer, analyse_face(analysers, frame->image, detection), frame->image, origin,
                            options.crop_size));
  }
  summary.faces = static_cast<int>(writer.size());
  writer.finish();
  return summary;
}

}  // namespace wf::extract
