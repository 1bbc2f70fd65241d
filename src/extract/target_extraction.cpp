#include "extract/target_extraction.h"

#include <map>
#include <set>

#include "dataset/imagefolder.h"
#include "extract/people.h"
#include "face/face_thumbnail.h"

namespace wf::extract {
namespace {
namespace fs = std::filesystem;

dataset::VideoReference video_reference(const fs::path& video, const media::VideoInfo& info) {
  return {fs::absolute(video), fs::file_size(video), info.width, info.height, info.fps, {}};
}

struct Scan {
  int frames = 0;
  std::vector<std::int64_t> cuts;
  std::vector<Sighting> sightings;
  double frame_seconds = 0;
};

// Pass 1: every face of every frame, analysed, tracked by overlap and identity within each shot.
Scan scan_faces(const TargetOptions& options, models::FaceAnalysers& analysers, ExtractionProgress& progress,
                models::StageTimes& times, const std::atomic<bool>* cancel) {
  media::VideoReader video(options.video, options.sampling);
  media::ShotCutDetector cuts(options.cuts);
  face::FaceTracker tracker(options.tracker);
  Scan scan;
  double first_timestamp = 0, last_timestamp = 0;
  while (true) {
    std::optional<media::Frame> frame;
    {
      const models::StageTimer timer(times.decode);
      frame = video.next();
    }
    if (!frame) break;
    stop_if_cancelled(cancel, options.output);
    if (scan.frames == 0) first_timestamp = frame->timestamp;
    last_timestamp = frame->timestamp;
    ++scan.frames;
    if (cuts.cut(frame->image)) {
      scan.cuts.push_back(frame->index);
      tracker.reset();
    }
    std::vector<face::Detection> detections;
    {
      const models::StageTimer timer(times.detect);
      detections = analysers.detector->detect(frame->image);
    }
    std::vector<models::AnalysedFace> faces;
    std::vector<std::vector<float>> embeddings;
    for (const face::Detection& detection : detections) {
      faces.push_back(models::analyse_face(analysers, frame->image, detection, times));
      embeddings.push_back(faces.back().embedding);
    }
    const std::vector<int> ids = tracker.update(detections, embeddings);
    for (std::size_t i = 0; i < faces.size(); ++i) {
      scan.sightings.push_back({frame->index, frame->timestamp, ids[i], std::move(faces[i])});
    }
    progress.frame_done(scan.frames, FrameOrigin{options.video, frame->index, frame->timestamp}.id());
  }
  const double fps = video.info().fps > 0 ? video.info().fps : 25.0;
  scan.frame_seconds = scan.frames > 1 ? (last_timestamp - first_timestamp) / (scan.frames - 1) : 1.0 / fps;
  return scan;
}

// A dataset written for another person than the one chosen now is made again from nothing. People are numbered
// 1, 2, ... in order, in the file as in `people`.
void forget_other_person(const fs::path& output, const PersonChoice& choice, const std::vector<Person>& people) {
  const std::optional<PeopleFile> before = read_people(output);
  if (!before) return;
  const auto faces_of = [&](const std::vector<Person>& list) -> std::int64_t {
    const auto index = static_cast<std::size_t>(choice.person - 1);
    return choice.person >= 1 && index < list.size() ? list[index].faces : -1;
  };
  if (before->choice.person == choice.person && faces_of(before->people) == faces_of(people)) return;
  for (const char* entry :
       {"images", "masks", "arcface", "people", "metadata.jsonl", "dataset.json", "skipped.jsonl"}) {
    fs::remove_all(output / entry);
  }
}

}  // namespace

TargetSummary extract_target(const TargetOptions& options, models::FaceAnalysers& analysers, core::EventSink* events,
                             const std::atomic<bool>* cancel) {
  media::VideoReader video(options.video, options.sampling);  // a bad video fails here, before any folder is made
  const std::optional<std::int64_t> expected = video.expected_frames();
  ExtractionProgress progress(events, expected ? std::optional<std::int64_t>(*expected * 2) : std::nullopt);
  TargetSummary summary;
  Scan scan = scan_faces(options, analysers, progress, summary.times, cancel);
  const std::vector<Person> people = group_people(scan.sightings, options.same_person, scan.frame_seconds);
  std::optional<std::vector<float>> reference;
  if (options.reference) reference = models::reference_embedding(analysers, *options.reference);
  // No face at all gives an empty dataset (every frame skipped), which the caller reports.
  const PersonChoice choice =
      people.empty() && !options.person && !reference
          ? PersonChoice{0, "most_on_screen", 0}
          : choose_person(people, options.person, reference, options.reference_similarity, options.video);
  forget_other_person(options.output, choice, people);

  // Pass 2: the chosen person's faces, frame by frame.
  std::map<std::int64_t, const Sighting*> chosen;
  std::set<std::int64_t> anyone;
  const std::vector<int> tracks =
      choice.person > 0 ? people[static_cast<std::size_t>(choice.person - 1)].tracks : std::vector<int>{};
  for (const Sighting& s : scan.sightings) {
    anyone.insert(s.frame);
    if (std::find(tracks.begin(), tracks.end(), s.track) != tracks.end()) chosen[s.frame] = &s;
  }
  std::map<std::int64_t, std::size_t> thumbnail_frames;  // frame -> person index
  for (std::size_t i = 0; i < people.size(); ++i) thumbnail_frames[scan.sightings[people[i].largest].frame] = i;
  std::vector<cv::Mat> thumbnails(people.size());

  dataset::DatasetCard card = extraction_card("target", analysers);
  card.video = video_reference(options.video, video.info());
  card.video->cuts = scan.cuts;
  dataset::DatasetWriter writer(options.output, card);
  SkipList skipped(options.output);
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
    if (const auto it = thumbnail_frames.find(frame->index); it != thumbnail_frames.end()) {
      thumbnails[it->second] =
          face::face_thumbnail(frame->image, scan.sightings[people[it->second].largest].face.detection.box, 128);
    }
    const auto target = chosen.find(frame->index);
    if (target == chosen.end()) {
      summary.frames_without_face.push_back(frame->index);
      if (!skipped.reason(id)) skipped.add(id, anyone.count(frame->index) > 0 ? "other_person" : "no_face");
    } else if (!writer.contains(id)) {  // else written by an earlier, interrupted run
      const models::StageTimer timer(summary.times.write);
      add_face(writer, target->second->face, frame->image, origin, options.crop_size);
    }
    progress.frame_done(scan.frames + summary.frames, id);
  }
  summary.faces = static_cast<int>(writer.size());
  summary.people = static_cast<int>(people.size());
  summary.person = choice.person;
  summary.cuts = scan.cuts;
  writer.finish();
  write_people(options.output, {people, choice}, thumbnails);
  return summary;
}

}  // namespace wf::extract
