#include "swap/swap_driver.h"

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/json_io.h"
#include "core/progress.h"
#include "dataset/imagefolder.h"
#include "face/hull_mask.h"
#include "media/frame_prefetcher.h"
#include "media/image_io.h"
#include "media/media_probe.h"
#include "media/video_reader.h"
#include "media/video_writer.h"
#include "swap/onnx_engine.h"
#include "swap/paste_back.h"
#include "swap/track_smoothing.h"

namespace wf::swap {
namespace fs = std::filesystem;
namespace {

// The video a target dataset was extracted from, checked to be the same file.
fs::path target_video(const fs::path& target) {
  const dataset::DatasetCard card = dataset::read_card(target);
  if (card.kind != "target" || !card.video) {
    throw Error(ErrorCode::invalid_input, "this is not a target dataset of a video", target,
                "give the dataset of watserface extract --target");
  }
  std::error_code ec;
  if (!fs::is_regular_file(card.video->path, ec)) {
    throw Error(ErrorCode::not_found, "the target video the dataset was made from is gone", card.video->path,
                "put the video back, or extract the target again");
  }
  if (fs::file_size(card.video->path) != card.video->bytes) {
    throw Error(ErrorCode::invalid_input, "the target video changed since it was extracted", card.video->path,
                "extract the target again (watserface extract --target)");
  }
  return card.video->path;
}

// Everything a frame needs: the engine, the tracked faces by frame index, the paste-back settings.
class FrameSwapper {
 public:
  explicit FrameSwapper(const SwapOptions& options) : options_(options), source_(load_source_faces(options.source)) {
    if (options.engine == "offline") {
      engine_ = std::make_unique<WarpEngine>(source_, options.warp);
    } else if (options.engine == "generative") {
      engine_ = std::make_unique<GenerativeEngine>(source_, options.generative);
    } else if (options.engine == "onnx") {
      engine_ = std::make_unique<OnnxSwapEngine>(source_, options.onnx_model);
    } else {
      throw Error(ErrorCode::invalid_input, "unknown swap engine '" + options.engine + "'", {},
                  "use offline, generative or onnx");
    }
    std::vector<dataset::FaceRecord> records = dataset::read_records(options.target);
    if (options.smooth_landmarks) smooth_track(records);
    for (auto& record : records) {
      if (!record.crop_matrix) {
        throw Error(ErrorCode::invalid_input, "face " + record.id + " has no crop matrix", options.target,
                    "extract the target again with this version");
      }
      if (crop_size_ == 0) crop_size_ = media::read_image(options.target / record.file_name()).cols;
      const std::int64_t index = record.frame_index;
      records_.emplace(index, std::move(record));
    }
    if (records_.empty()) {
      throw Error(ErrorCode::invalid_input, "the target dataset has no faces: there is nothing to swap", options.target,
                  "extract the target with a reference photo of the face to replace (--reference)");
    }
    feather_ = options.feather >= 0 ? options.feather : std::max(1, crop_size_ / 32);
  }

  // The frame with its face swapped, or as it is when the dataset has no face for it.
  cv::Mat swap(const cv::Mat& frame, std::int64_t index, nlohmann::json& report) {
    const auto it = records_.find(index);
    if (it == records_.end()) return frame;
    const dataset::FaceRecord& record = it->second;
    const cv::Mat matrix(*record.crop_matrix);
    cv::Mat matrix64;
    matrix.convertTo(matrix64, CV_64F);
    SwapFace face;
    cv::warpAffine(frame, face.crop, matrix64, {crop_size_, crop_size_}, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    face.landmarks_68 = record.landmarks_68;
    face.landmarks_478 = record.landmarks_478;
    face.keypoints_5 = record.keypoints_5;
    face.frame_index = index;
    if (record.mask_origin) {
      face.mask = media::read_mask(options_.target / record.mask_file_name());
    } else {
      face.mask = face::hull_mask(face.crop.size(), record.landmarks_68, 0.f);
    }
    const SwappedFace swapped = engine_->swap(face);
    report.push_back(
        {{"frame", index},
         {"face", record.id},
         {"source_face", swapped.source_id},
         {"mask", record.mask_origin ? std::string(dataset::to_string(*record.mask_origin)) : std::string("hull")}});
    return paste_back(frame, swapped.crop, swapped.mask, matrix64, feather_);
  }

 private:
  const SwapOptions& options_;
  SourceFaces source_;
  std::unique_ptr<SwapEngine> engine_;
  std::map<std::int64_t, dataset::FaceRecord> records_;
  int crop_size_ = 0;
  int feather_ = 0;
};

// The target video's streams, refused when its frames are not evenly spaced: checked before any engine loads.
media::MediaInfo probe_constant_rate(const fs::path& video) {
  media::MediaInfo info = media::probe_media(video);
  if (info.variable_frame_rate()) {
    throw Error(ErrorCode::unsupported,
                "the video has a variable frame rate (" + std::to_string(info.irregular_intervals) + " of " +
                    std::to_string(info.intervals) + " frame intervals are not 1/" + info.frame_rate +
                    " s): a swapped copy would lose its timing",
                video,
                "convert it to a constant rate first: ffmpeg -i IN -vf fps=" + info.frame_rate +
                    " OUT.mp4, then extract again");
  }
  return info;
}

void write_report(const SwapOptions& options, const fs::path& video, const SwapSummary& summary,
                  const nlohmann::json& swapped) {
  core::write_json_file(summary.report, {{"version", 1},
                                         {"engine", options.engine},
                                         {"source", fs::absolute(options.source).string()},
                                         {"target", fs::absolute(options.target).string()},
                                         {"video", video.string()},
                                         {"output", fs::absolute(options.output).string()},
                                         {"frames", summary.frames},
                                         {"video_codec", summary.video_codec},
                                         {"audio_streams", summary.audio_streams},
                                         {"swapped", swapped}});
}

// A photo target: its one frame swapped into an image, the provenance mark as PNG text or a JPEG comment.
void swap_image(const SwapOptions& options, const fs::path& photo, FrameSwapper& swapper, SwapSummary& summary,
                nlohmann::json& swapped) {
  media::VideoReader reader(photo);
  const std::optional<media::Frame> frame = reader.next();
  if (!frame || reader.next()) {
    throw Error(ErrorCode::invalid_input, "an image output needs a photo as the target, and this target is a video",
                options.output, "name the output .mp4");
  }
  media::write_image(options.output, swapper.swap(frame->image, frame->index, swapped),
                     options.provenance ? provenance_text() : std::map<std::string, std::string>{});
  summary.frames = 1;
  summary.video_codec = "image";
}

void swap_frames(const SwapOptions& options, const fs::path& video, const media::MediaInfo& info, FrameSwapper& swapper,
                 SwapSummary& summary, nlohmann::json& swapped, core::EventSink* events,
                 const std::atomic<bool>* cancel) {
  media::VideoReader reader(video);
  const std::optional<std::int64_t> expected = reader.expected_frames();
  media::FramePrefetcher frames(std::move(reader));
  // Opened at the first frame: its size is the decoded one (a phone clip's rotation tag is applied in decoding, so
  // it can differ from the stored size ffprobe reports).
  std::optional<media::VideoWriter> writer;
  const core::ProgressMeter meter({"swap", 1, 1}, expected);
  while (auto frame = frames.next()) {
    if (cancel && cancel->load()) {
      throw Error(ErrorCode::cancelled, "the swap was stopped; nothing was written", options.output, "run it again");
    }
    if (!writer) {
      writer.emplace(media::VideoWriterOptions{
          .output = options.output,
          .width = frame->image.cols,
          .height = frame->image.rows,
          .frame_rate = info.frame_rate,
          .audio_from = video,
          .audio = info.audio,
          .tags = options.provenance ? provenance_tags() : std::map<std::string, std::string>{},
          .lossless = options.lossless});
    }
    writer->write(swapper.swap(frame->image, frame->index, swapped));
    ++summary.frames;
    core::Event step = meter.step(summary.frames);
    step.step = summary.frames;
    if (events) events->emit(step);
  }
  if (!writer) throw Error(ErrorCode::invalid_input, "the video has no frame to decode", video, "check that it plays");
  writer->finish();
  summary.video_codec = writer->video_codec();
  summary.audio_streams = info.audio.size();
}

}  // namespace

std::map<std::string, std::string> provenance_tags() {
  return {{"comment", "Made with WatserFace: a face in it was swapped by AI"}, {"encoded_by", "WatserFace"}};
}

std::map<std::string, std::string> provenance_text() {
  return {{"Comment", provenance_tags().at("comment")}, {"Software", "WatserFace"}};
}

SwapSummary swap_video(const SwapOptions& options, core::EventSink* events, const std::atomic<bool>* cancel) {
  const auto start = std::chrono::steady_clock::now();
  const fs::path video = target_video(options.target);
  const bool photo_output = media::is_image_file(options.output);
  const std::optional<media::MediaInfo> info =
      photo_output ? std::nullopt : std::optional<media::MediaInfo>(probe_constant_rate(video));
  FrameSwapper swapper(options);
  auto emit = [&](core::EventKind kind, std::optional<std::int64_t> step, std::string message) {
    if (!events) return;
    core::Event event;
    event.phase = {"swap", 1, 1};
    event.kind = kind;
    event.step = step;
    event.message = std::move(message);
    events->emit(event);
  };
  emit(core::EventKind::phase_start, std::nullopt, options.engine);
  SwapSummary summary;
  summary.output = options.output;
  summary.report = options.output.parent_path() / (options.output.stem().string() + ".swap.json");
  nlohmann::json swapped = nlohmann::json::array();
  if (photo_output) {
    swap_image(options, video, swapper, summary, swapped);
  } else {
    swap_frames(options, video, *info, swapper, summary, swapped, events, cancel);
  }
  summary.swapped = static_cast<std::int64_t>(swapped.size());
  write_report(options, video, summary, swapped);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  emit(core::EventKind::phase_end, summary.frames, summary.report.string());
  return summary;
}

cv::Mat swap_frame(const SwapOptions& options, std::int64_t frame_index) {
  FrameSwapper swapper(options);
  media::VideoReader reader(target_video(options.target));
  while (auto frame = reader.next()) {
    if (frame->index != frame_index) continue;
    nlohmann::json report = nlohmann::json::array();
    return swapper.swap(frame->image, frame_index, report);
  }
  throw Error(ErrorCode::invalid_input, "the video has no frame " + std::to_string(frame_index), options.target,
              "choose a frame between 0 and the last one");
}

}  // namespace wf::swap
