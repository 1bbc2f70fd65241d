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
#include "media/image_io.h"
#include "media/media_probe.h"
#include "media/video_reader.h"
#include "media/video_writer.h"
#include "swap/onnx_engine.h"
#include "swap/paste_back.h"

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
    for (auto& record : dataset::read_records(options.target)) {
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
      std::vector<cv::Point2f> hull = record.landmarks_68;
      face.mask = face::hull_mask(face.crop.size(), hull, 0.f);
    }
    const SwappedFace swapped = engine_->swap(face);
    report.push_back({{"frame", index},
                      {"face", record.id},
                      {"source_face", swapped.source_id},
                      {"mask", record.mask_origin ? std::string(dataset::to_string(*record.mask_origin)) : std::string("hull")}});
    return paste_back(frame, swapped.crop, swapped.mask, matrix64, feather_);
  }

  std::size_t faces() const { return records_.size(); }

 private:
  const SwapOptions& options_;
  SourceFaces source_;
  std::unique_ptr<SwapEngine> engine_;
  std::map<std::int64_t, dataset::FaceRecord> records_;
  int crop_size_ = 0;
  int feather_ = 0;
};

}  // namespace

std::map<std::string, std::string> provenance_tags() {
  return {{"comment", "Made with WatserFace: a face in this video was swapped by AI"}, {"encoded_by", "WatserFace"}};
}

SwapSummary swap_video(const SwapOptions& options, core::EventSink* events, const std::atomic<bool>* cancel) {
  const auto start = std::chrono::steady_clock::now();
  const fs::path video = target_video(options.target);
  const media::MediaInfo info = media::probe_media(video);
  if (info.variable_frame_rate()) {
    throw Error(ErrorCode::unsupported,
                "the video has a variable frame rate (" + std::to_string(info.irregular_intervals) + " of " +
                    std::to_string(info.intervals) + " frame intervals are not 1/" + info.frame_rate +
                    " s): a swapped copy would lose its timing",
                video, "convert it to a constant rate first: ffmpeg -i IN -vf fps=" + info.frame_rate + " OUT.mp4, then extract again");
  }
  FrameSwapper swapper(options);
  media::VideoReader reader(video);
  media::VideoWriterOptions writer_options{.output = options.output,
                                           .width = info.width,
                                           .height = info.height,
                                           .frame_rate = info.frame_rate,
                                           .audio_from = video,
                                           .audio = info.audio,
                                           .tags = options.provenance ? provenance_tags() : std::map<std::string, std::string>{},
                                           .lossless = options.lossless};
  media::VideoWriter writer(writer_options);
  const core::PhaseRef phase{"swap", 1, 1};
  auto emit = [&](core::Event event) {
    if (events) events->emit(event);
  };
  core::Event begin;
  begin.phase = phase;
  begin.kind = core::EventKind::phase_start;
  begin.steps = reader.expected_frames();
  emit(begin);
  const core::ProgressMeter meter(phase, reader.expected_frames());
  nlohmann::json swapped = nlohmann::json::array();
  SwapSummary summary;
  while (auto frame = reader.next()) {
    if (cancel && cancel->load()) {
      throw Error(ErrorCode::cancelled, "the swap was stopped; nothing was written", options.output, "run it again");
    }
    writer.write(swapper.swap(frame->image, frame->index, swapped));
    ++summary.frames;
    core::Event step = meter.step(summary.frames);
    step.step = summary.frames;
    emit(step);
  }
  writer.finish();
  summary.swapped = static_cast<std::int64_t>(swapped.size());
  summary.output = options.output;
  summary.video_codec = writer.video_codec();
  summary.audio_streams = info.audio.size();
  summary.report = options.output.parent_path() / (options.output.stem().string() + ".swap.json");
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
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  core::Event end;
  end.phase = phase;
  end.kind = core::EventKind::phase_end;
  end.step = summary.frames;
  end.message = summary.report.string();
  emit(end);
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
