#include "extract/target_extraction.h"

#include "core/error.h"
#include "dataset/imagefolder.h"
#include "extract/face_frames.h"
#include "face/tracker.h"
#include "media/image_io.h"

namespace wf::extract {

TargetSummary extract_target(const TargetOptions& options, FaceAnalysers& analysers, core::EventSink* events) {
  dataset::DatasetCard card;
  card.kind = "target";
  card.models = {{"face_detector", std::string(analysers.detector->name())},
                 {"landmarks", "dlib_68+facemesh_iris_478"},
                 {"face_embedder", analysers.embedder_name}};
  dataset::DatasetWriter writer(options.output, card);
  SkipList skipped(options.output);

  std::optional<std::vector<float>> reference;
  if (options.reference) {
    const cv::Mat photo = media::read_image(*options.reference);
    const auto faces = analysers.detector->detect(photo);
    if (faces.empty()) {
      throw Error(ErrorCode::invalid_input, "no face found in the reference photo", *options.reference,
                  "use a photo where the face to replace is clearly visible");
    }
    reference = analyse_face(analysers, photo, faces.front()).embedding;
  }

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
    const dataset::FaceRecord record =
        add_face(writer, analyse_face(analysers, frame->image, detection), frame->image, origin, options.crop_size);
    if (events) {
      core::Event event;
      event.phase = {"extract", 1, 1};
      event.kind = core::EventKind::step;
      event.step = summary.frames;
      event.message = record.file_name();
      events->emit(event);
    }
  }
  summary.faces = static_cast<int>(writer.size());
  writer.finish();
  return summary;
}

}  // namespace wf::extract
