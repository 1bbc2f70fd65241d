#include "review/review.h"

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <opencv2/imgproc.hpp>

#include "core/atomic_file.h"
#include "core/enum_names.h"
#include "core/error.h"
#include "core/json_io.h"
#include "core/paths.h"
#include "core/progress.h"
#include "dataset/imagefolder.h"
#include "face/face_thumbnail.h"
#include "media/frame_prefetcher.h"
#include "media/image_io.h"
#include "media/media_probe.h"
#include "media/video_reader.h"
#include "media/video_writer.h"
#include "review/face_check.h"
#include "review/review_report.h"
#include "review/temporal_jump.h"
#include "swap/frame_swapper.h"
#include "swap/repair_ladder.h"
#include "swap/swap_driver.h"
#include "swap/swap_report.h"

namespace wf::review {
namespace fs = std::filesystem;
namespace {

constexpr std::array<core::EnumName<FrameStatus>, 5> kStatuses{{{FrameStatus::passed, "passed"},
                                                                {FrameStatus::flagged, "flagged"},
                                                                {FrameStatus::repaired, "repaired"},
                                                                {FrameStatus::improved, "improved"},
                                                                {FrameStatus::unrepaired, "unrepaired"}}};

// Everything a review reads before it looks at a frame, checked.
struct ReviewInputs {
  swap::SwapReport swap{};
  std::vector<float> identity{};
  swap::TargetTrack track{};
  std::vector<std::int64_t> cuts{};               // the target's shot cuts: no jump is judged across one
  std::map<std::int64_t, std::string> swapped{};  // frame index -> target face id
};

fs::path review_report_path(const ReviewOptions& options) {
  const fs::path& video = options.output.empty() ? options.input : options.output;
  return video.parent_path() / (video.stem().string() + (options.output.empty() ? ".scan.json" : ".review.json"));
}

void check_options(const ReviewOptions& options) {
  const ReviewThresholds& t = options.thresholds;
  if (!(t.min_confidence >= 0 && t.min_confidence <= 1) || !(t.min_similarity >= -1 && t.min_similarity <= 1) ||
      !(t.max_jump > 0) || options.attempts < 0 || options.thumbnail_size < 0) {
    throw Error(ErrorCode::invalid_input, "review settings out of range", options.input,
                "confidence 0..1, similarity -1..1, jump > 0, attempts and thumbnail size >= 0");
  }
  if (options.output.empty()) return;
  if (fs::is_directory(options.output)) {
    throw Error(ErrorCode::invalid_input, "the output is a folder", options.output, "name the video to write");
  }
  const std::string extension = media::lowercase_extension(options.output);
  if (extension != ".mp4" && extension != ".mov" && extension != ".mkv") {
    throw Error(ErrorCode::invalid_input, "a reviewed video is .mp4, .mov or .mkv", options.output,
                "name the output with one of them");
  }
  if (options.lossless && extension != ".mkv") {
    throw Error(ErrorCode::invalid_input, "a lossless output is FFV1, which only .mkv holds", options.output,
                "name the output .mkv");
  }
  // The output and what is written beside it (its swap report, review report, thumbnails) must not land on the
  // input's.
  if (core::same_file(options.output, options.input) ||
      core::same_file(swap::swap_report_path(options.output), swap::swap_report_path(options.input))) {
    throw Error(ErrorCode::invalid_input, "the reviewed video would overwrite the video being reviewed or its report",
                options.output, "write it to another name");
  }
}

ReviewInputs load_inputs(const ReviewOptions& options, const models::FaceAnalysers& analysers) {
  std::error_code ec;
  if (!fs::is_regular_file(options.input, ec)) {
    throw Error(ErrorCode::not_found, "the video to review is not there", options.input,
                "give the video watserface swap wrote");
  }
  check_options(options);
  ReviewInputs in{.swap = swap::read_swap_report(options.input)};
  if (in.swap.video_codec == "image") {
    throw Error(ErrorCode::unsupported, "review checks videos; this is a swapped photo", options.input,
                "look at the photo, or swap it again with other settings (watserface swap --preview)");
  }
  const fs::path& source = in.swap.options.source;
  if (!fs::is_directory(source, ec)) {
    throw Error(ErrorCode::not_found, "the source dataset this video was swapped from is gone", source,
                "put it back, or extract the source again and swap again");
  }
  if (!fs::is_directory(in.swap.options.target, ec)) {
    throw Error(ErrorCode::not_found, "the target dataset this video was swapped from is gone", in.swap.options.target,
                "put it back, or extract the target again and swap again");
  }
  if (!options.output.empty()) {
    const fs::path video = swap::target_video(in.swap.options.target);  // there and unchanged, or a clear error
    if (!core::same_file(video, in.swap.video)) {
      throw Error(ErrorCode::invalid_input, "the target dataset now names another video than the swap used",
                  in.swap.options.target, "swap the video again");
    }
    if (core::same_file(options.output, video)) {
      throw Error(ErrorCode::invalid_input, "the reviewed video would overwrite the target video", options.output,
                  "write it to another file");
    }
  }
  const dataset::DatasetCard card = dataset::read_card(source);
  const auto embedder = card.models.find("face_embedder");
  if (embedder != card.models.end() && embedder->second != analysers.embedder_name) {
    throw Error(ErrorCode::invalid_input,
                "the source's embeddings were made by " + embedder->second + " and this review measures with " +
                    analysers.embedder_name + ": the two cannot be compared",
                source, "install the embedder the source was extracted with (watserface doctor), or extract it again");
  }
  in.identity = swap::load_source_faces(source).mean_embedding;
  if (in.identity.empty()) {
    throw Error(ErrorCode::invalid_input, "the source's identity embedding is gone: its faces carry no embeddings",
                source, "extract the source again (watserface extract --source) with a face embedder installed");
  }
  if (static_cast<int>(in.identity.size()) != analysers.embedder->dimension()) {
    throw Error(ErrorCode::invalid_input,
                "the source's embeddings are " + std::to_string(in.identity.size()) +
                    " wide and this review's embedder " + std::to_string(analysers.embedder->dimension()),
                source, "install the embedder the source was extracted with, or extract it again");
  }
  in.track = swap::load_target_track(in.swap.options);
  in.cuts = swap::target_cuts(in.swap.options.target);
  for (const auto& entry : in.swap.swapped) {
    const auto frame = entry.at("frame").get<std::int64_t>();
    if (!in.track.contains(frame)) {
      throw Error(
          ErrorCode::corrupt_file,
          "the target dataset has no face for swapped frame " + std::to_string(frame) + ": it changed since the swap",
          in.swap.options.target, "swap the video again");
    }
    in.swapped[frame] = entry.value("face", "");
  }
  for (const std::int64_t frame : options.frames) {
    if (!in.swapped.contains(frame)) {
      throw Error(ErrorCode::invalid_input,
                  "frame " + std::to_string(frame) + " was not swapped, so there is nothing to repair", options.input,
                  "pick a frame the swap report lists");
    }
  }
  return in;
}

void check_cancel(const std::atomic<bool>* cancel, const fs::path& file) {
  if (cancel && cancel->load()) {
    throw Error(ErrorCode::cancelled, "the review was stopped; nothing was written", file, "run it again");
  }
}

class Progress {
 public:
  Progress(core::EventSink* events, std::optional<std::int64_t> frames) : events_(events), frames_(frames) {}
  void pass(std::string name) {
    name_ = std::move(name);
    meter_.emplace(core::PhaseRef{"review", 1, 1}, frames_);
  }
  void frame(std::int64_t done) {
    if (!events_) return;
    core::Event event = meter_->step(done, name_);
    event.step = done;
    events_->emit(event);
  }
  void mark(core::EventKind kind, std::string message) {
    if (!events_) return;
    core::Event event;
    event.phase = {"review", 1, 1};
    event.kind = kind;
    event.message = std::move(message);
    events_->emit(event);
  }

 private:
  core::EventSink* events_;
  std::optional<std::int64_t> frames_;
  std::optional<core::ProgressMeter> meter_;
  std::string name_;
};

// The first pass: every swapped frame's face found and scored, then judged against its neighbours.
struct Scan {
  std::vector<FrameReview> frames;
  std::map<std::int64_t, TrackedFace> faces;
  std::int64_t video_frames = 0;
};

TrackedFace tracked_face(const FrameScore& score, const dataset::FaceRecord& record) {
  return {score.landmarks, track_landmarks(record), record.bbox.width};
}

Scan scan(const ReviewOptions& options, const ReviewInputs& in, FaceChecker& checker, Progress& progress,
          const std::atomic<bool>* cancel) {
  Scan out;
  media::FramePrefetcher frames{media::VideoReader(options.input)};
  progress.pass("scan");
  while (auto frame = frames.next()) {
    check_cancel(cancel, options.input);
    ++out.video_frames;
    const auto swapped = in.swapped.find(frame->index);
    if (swapped != in.swapped.end()) {
      const dataset::FaceRecord& record = in.track.at(frame->index);
      FrameReview review{.frame = frame->index, .face = swapped->second, .before = checker.check(frame->image, record)};
      out.faces.emplace(frame->index, tracked_face(review.before, record));
      out.frames.push_back(std::move(review));
    }
    progress.frame(out.video_frames);
  }
  if (out.video_frames != in.swap.frames) {
    throw Error(ErrorCode::corrupt_file,
                "the video has " + std::to_string(out.video_frames) + " frames and its swap report " +
                    std::to_string(in.swap.frames) + ": it was changed after the swap",
                options.input, "review the video as watserface swap wrote it, or swap again");
  }
  for (FrameReview& review : out.frames) {
    review.before.jump = jump_of(out.faces.at(review.frame), review.frame, out.faces, in.cuts);
    review.reasons = flag_reasons(review.before, options.thresholds);
    const bool requested =
        std::find(options.frames.begin(), options.frames.end(), review.frame) != options.frames.end();
    if (requested) review.reasons.push_back(FlagReason::requested);
  }
  return out;
}

// A flagged frame swapped again from the target frame along the ladder; the result that scores best if it
// beats the frame as it is, else the frame as it is.
cv::Mat repair(FrameReview& review, const cv::Mat& as_is, const cv::Mat& target_frame,
               const std::vector<swap::RepairStep>& ladder, const ReviewOptions& options, const ReviewInputs& in,
               Scan& scanned, swap::FrameSwapper& swapper, FaceChecker& checker, const std::atomic<bool>* cancel) {
  const dataset::FaceRecord& record = in.track.at(review.frame);
  cv::Mat best = as_is;
  double best_margin = margin(review.before, options.thresholds);
  const std::size_t attempts = std::min(ladder.size(), static_cast<std::size_t>(std::max(0, options.attempts)));
  for (std::size_t k = 0; k < attempts; ++k) {
    check_cancel(cancel, options.input);
    swapper.set_options(ladder[k].options);
    cv::Mat candidate = swapper.swap(target_frame, review.frame);
    // A result identical to the frame (the swap's own settings on an exact input) scores what the frame scored.
    FrameScore score = review.before;
    if (cv::norm(candidate, as_is, cv::NORM_INF) != 0) {
      score = checker.check(candidate, record);
      score.jump = jump_of(tracked_face(score, record), review.frame, scanned.faces, in.cuts);
    }
    const bool passes = flag_reasons(score, options.thresholds).empty();
    const double candidate_margin = margin(score, options.thresholds);
    review.attempts.push_back({ladder[k].name, ladder[k].settings, std::move(score), passes});
    const bool better = candidate_margin > best_margin;
    if (better) {
      best_margin = candidate_margin;
      best = std::move(candidate);
      review.chosen = k;
    }
    if (passes && better) break;  // a frame the user picked although it passed goes on to a better result
  }
  review.status = !review.chosen                           ? FrameStatus::unrepaired
                  : review.attempts[*review.chosen].passes ? FrameStatus::repaired
                                                           : FrameStatus::improved;
  // Later repairs judge their jumps against the frame as it is now written.
  if (review.chosen) scanned.faces[review.frame] = tracked_face(review.attempts[*review.chosen].score, record);
  return best;
}

// Through AtomicFile's own writes, whose errors say why (std::filesystem::copy_file calls a full disk an I/O error).
void copy_atomically(const fs::path& from, const fs::path& to) {
  std::ifstream in(from, std::ios::binary);
  core::AtomicFile file(to);
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    file.write(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
  }
  if (!in.eof()) throw Error(ErrorCode::invalid_input, "cannot read the video to copy", from, "check that it is there");
  file.commit();
}

// Thumbnails go to a folder beside the report that replaces the last one only when the video is complete.
class Thumbnails {
 public:
  explicit Thumbnails(const ReviewOptions& options)
      : size_(options.thumbnail_size),
        folder_(options.output.stem().string() + ".review"),
        base_(fs::absolute(options.output).parent_path()) {}
  ~Thumbnails() {
    std::error_code ec;
    if (!partial_.empty()) fs::remove_all(partial_, ec);
  }
  Thumbnails(const Thumbnails&) = delete;
  Thumbnails& operator=(const Thumbnails&) = delete;

  void add(FrameReview& review, const cv::Rect2f& box, const cv::Mat& before, const cv::Mat& after) {
    if (size_ <= 0) return;
    if (partial_.empty()) make_partial();
    char name[32];
    std::snprintf(name, sizeof(name), "%06lld", static_cast<long long>(review.frame));
    review.thumbnail_before = folder_ / (std::string(name) + "_before.jpg");
    review.thumbnail_after = folder_ / (std::string(name) + "_after.jpg");
    media::write_image(partial_ / review.thumbnail_before.filename(), face::face_thumbnail(before, box, size_));
    media::write_image(partial_ / review.thumbnail_after.filename(), face::face_thumbnail(after, box, size_));
  }
  void commit() {
    fs::remove_all(base_ / folder_);
    if (partial_.empty()) return;
    fs::rename(partial_, base_ / folder_);
    partial_.clear();
  }

 private:
  void make_partial() {
    std::string pattern = core::temporary_pattern(base_ / folder_).string();
    if (!::mkdtemp(pattern.data())) {
      throw error_from_errno(errno, "cannot make the folder for the thumbnails", base_ / folder_);
    }
    partial_ = pattern;
    fs::permissions(partial_, static_cast<fs::perms>(0755));  // mkdtemp makes it private (0700)
  }

  int size_;
  fs::path folder_, base_, partial_;  // partial_: the folder being filled, empty until the first thumbnail
};

// The second pass: flagged frames repaired, the output written with untouched frames as they decode. When no
// frame changed and the input is already what was asked for (same container, same lossless-ness), the input is
// copied instead: no second encode. Returns the encoder used, or "" for a copy.
std::string write_output(const ReviewOptions& options, const ReviewInputs& in, Scan& scanned, FaceChecker& checker,
                         Progress& progress, const std::atomic<bool>* cancel) {
  std::map<std::int64_t, FrameReview*> flagged;
  for (auto& review : scanned.frames) {
    if (!review.reasons.empty()) flagged.emplace(review.frame, &review);
  }
  fs::create_directories(fs::absolute(options.output).parent_path());
  const bool copyable = media::lowercase_extension(options.output) == media::lowercase_extension(options.input) &&
                        options.lossless == in.swap.options.lossless;
  if (flagged.empty() && copyable) {
    copy_atomically(options.input, options.output);
    return "";
  }
  std::optional<swap::FrameSwapper> swapper;
  std::optional<media::VideoReader> target;
  if (!flagged.empty()) {
    swapper.emplace(in.swap.options);
    target.emplace(in.swap.video);
  }
  const std::vector<swap::RepairStep> ladder = swap::repair_ladder(in.swap.options);
  const media::MediaInfo info = media::probe_media(options.input);
  Thumbnails thumbnails(options);
  media::FramePrefetcher frames{media::VideoReader(options.input)};
  std::optional<media::VideoWriter> writer;
  progress.pass("repair");
  std::int64_t written = 0;
  bool changed = false;
  while (auto frame = frames.next()) {
    check_cancel(cancel, options.input);
    std::optional<media::Frame> target_frame = target ? target->next() : std::nullopt;
    if (target && !target_frame) {
      throw Error(ErrorCode::corrupt_file, "the target video ends before the swapped one", in.swap.video,
                  "review against the target video the swap was made from");
    }
    if (target && target_frame->index != frame->index) {
      throw Error(ErrorCode::corrupt_file,
                  "the target video's frame " + std::to_string(target_frame->index) + " came where the swap had " +
                      std::to_string(frame->index),
                  in.swap.video, "review against the target video the swap was made from");
    }
    if (!writer) {
      writer.emplace(swap::swapped_video_options(options.output, frame->image, info, options.input,
                                                 in.swap.options.provenance, options.lossless));
    }
    const auto it = flagged.find(frame->index);
    if (it == flagged.end()) {
      writer->write(frame->image);
    } else {
      FrameReview& review = *it->second;
      const cv::Mat image =
          repair(review, frame->image, target_frame->image, ladder, options, in, scanned, *swapper, checker, cancel);
      changed |= review.chosen.has_value();
      writer->write(image);
      thumbnails.add(review, in.track.at(review.frame).bbox, frame->image, image);
    }
    progress.frame(++written);
  }
  if (!writer)
    throw Error(ErrorCode::invalid_input, "the video has no frame to decode", options.input, "check it plays");
  // The thumbnails replace the last review's only once the video is in place.
  if (!changed && copyable) {
    writer.reset();  // the encode is dropped: the input is the same video, once encoded fewer
    copy_atomically(options.input, options.output);
    thumbnails.commit();
    return "";
  }
  writer->finish();
  thumbnails.commit();
  return writer->video_codec();
}

// The output's own swap report: the input's, with the output's file and encode, and each repaired frame's step.
void write_output_swap_report(const ReviewOptions& options, const ReviewInputs& in, const ReviewSummary& summary,
                              const std::string& codec) {
  swap::SwapReport report = in.swap;
  report.options.output = fs::absolute(options.output);
  if (summary.reencoded) {
    report.options.lossless = options.lossless;
    report.video_codec = codec;
  }
  std::map<std::int64_t, const FrameReview*> chosen;
  for (const auto& review : summary.frames) {
    if (review.chosen) chosen.emplace(review.frame, &review);
  }
  for (auto& entry : report.swapped) {
    const auto it = chosen.find(entry.at("frame").get<std::int64_t>());
    if (it == chosen.end()) continue;
    const RepairAttempt& attempt = it->second->attempts[*it->second->chosen];
    entry["repair"] = {{"step", attempt.step}, {"settings", attempt.settings}};
  }
  swap::write_swap_report(report);
}

}  // namespace

std::string_view to_string(FrameStatus status) {
  return core::enum_to_string(kStatuses, status);
}

std::int64_t ReviewSummary::count(FrameStatus status) const {
  return std::count_if(frames.begin(), frames.end(), [&](const FrameReview& r) { return r.status == status; });
}

std::int64_t ReviewSummary::flagged() const {
  return std::count_if(frames.begin(), frames.end(), [](const FrameReview& r) { return !r.reasons.empty(); });
}

std::string ReviewSummary::line() const {
  std::map<std::string_view, int> reasons;
  for (const auto& review : frames) {
    for (const FlagReason reason : review.reasons) ++reasons[to_string(reason)];
  }
  std::string why;
  for (const auto& [reason, n] : reasons)
    why += (why.empty() ? "" : ", ") + std::string(reason) + " " + std::to_string(n);
  std::string text = std::to_string(frames.size()) + " swapped frames of " + std::to_string(video_frames) +
                     " scanned: " + std::to_string(flagged()) + " flagged" + (why.empty() ? "" : " (" + why + ")");
  if (!output.empty()) {
    text += "; " + std::to_string(count(FrameStatus::repaired)) + " repaired, " +
            std::to_string(count(FrameStatus::improved)) + " improved, " +
            std::to_string(count(FrameStatus::unrepaired)) + " left as they were; " + output.string() +
            (!reencoded        ? " (copied: nothing changed)"
             : output_lossless ? " (lossless)"
             : input_lossless  ? " (one encode)"
                               : " (encoded again: swap with --lossless for one encode)");
  }
  char seconds_text[32];
  std::snprintf(seconds_text, sizeof(seconds_text), " in %.1f s", seconds);
  return text + seconds_text + "; report " + report.string();
}

ReviewSummary review_video(const ReviewOptions& options, models::FaceAnalysers& analysers, core::EventSink* events,
                           const std::atomic<bool>* cancel) {
  const auto start = std::chrono::steady_clock::now();
  const ReviewInputs in = load_inputs(options, analysers);
  FaceChecker checker(analysers, in.identity);
  Progress progress(events, in.swap.frames);
  progress.mark(core::EventKind::phase_start, options.output.empty() ? "scan" : "scan and repair");
  Scan scanned = scan(options, in, checker, progress, cancel);
  ReviewSummary summary;
  summary.video_frames = scanned.video_frames;
  summary.embedder = analysers.embedder_name;
  summary.input_lossless = in.swap.options.lossless;
  summary.output_lossless = options.lossless;
  summary.output = options.output;
  summary.report = review_report_path(options);
  std::string codec;
  if (!options.output.empty()) {
    codec = write_output(options, in, scanned, checker, progress, cancel);
    summary.reencoded = !codec.empty();
  }
  summary.frames = std::move(scanned.frames);
  for (auto& review : summary.frames) {
    if (!review.reasons.empty() && options.output.empty()) review.status = FrameStatus::flagged;
  }
  if (!options.output.empty()) write_output_swap_report(options, in, summary, codec);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  core::write_json_file(summary.report, review_report_json(options, summary, in.swap));
  progress.mark(core::EventKind::phase_end, summary.report.string());
  return summary;
}

}  // namespace wf::review
