#include "swap/swap_driver.h"

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/progress.h"
#include "dataset/imagefolder.h"
#include "media/frame_prefetcher.h"
#include "media/image_io.h"
#include "media/media_probe.h"
#include "media/video_reader.h"
#include "media/video_writer.h"
#include "swap/frame_swapper.h"
#include "swap/swap_report.h"

namespace wf::swap {
namespace fs = std::filesystem;
namespace {


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

// A photo target: its one frame swapped into an image, the provenance mark as PNG text or a JPEG comment.
void swap_image(const SwapOptions& options, const fs::path& photo, FrameSwapper& swapper, SwapSummary& summary,
                nlohmann::json& swapped) {
  media::VideoReader reader(photo);
  const std::optional<media::Frame> frame = reader.next();
  if (!frame || reader.next()) {
    throw Error(ErrorCode::invalid_input, "an image output needs a photo as the target, and this target is a video",
                options.output, "name the output .mp4");
  }
  media::write_image(options.output, swapper.swap(frame->image, frame->index, &swapped),
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
      writer.emplace(
          swapped_video_options(options.output, frame->image, info, video, options.provenance, options.lossless));
    }
    writer->write(swapper.swap(frame->image, frame->index, &swapped));
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

media::VideoWriterOptions swapped_video_options(const fs::path& output, const cv::Mat& first_frame,
                                                const media::MediaInfo& info, const fs::path& audio_from,
                                                bool provenance, bool lossless) {
  return {.output = output,
          .width = first_frame.cols,
          .height = first_frame.rows,
          .frame_rate = info.frame_rate,
          .audio_from = audio_from,
          .audio = info.audio,
          .tags = provenance ? provenance_tags() : std::map<std::string, std::string>{},
          .lossless = lossless};
}

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
  summary.report = swap_report_path(options.output);
  nlohmann::json swapped = nlohmann::json::array();
  if (photo_output) {
    swap_image(options, video, swapper, summary, swapped);
  } else {
    swap_frames(options, video, *info, swapper, summary, swapped, events, cancel);
  }
  summary.swapped = static_cast<std::int64_t>(swapped.size());
  write_swap_report({.options = options,
                     .video = video,
                     .frames = summary.frames,
                     .video_codec = summary.video_codec,
                     .audio_streams = summary.audio_streams,
                     .swapped = swapped});
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  emit(core::EventKind::phase_end, summary.frames, summary.report.string());
  return summary;
}

SwappedFrame swap_frame(const SwapOptions& options, std::int64_t frame_index) {
  FrameSwapper swapper(options);
  media::VideoReader reader(target_video(options.target));
  while (auto frame = reader.next()) {
    if (frame->index != frame_index) continue;
    cv::Mat swapped = swapper.swap(frame->image, frame_index);
    return {frame->image, swapped};
  }
  throw Error(ErrorCode::invalid_input, "the video has no frame " + std::to_string(frame_index), options.target,
              "choose a frame between 0 and the last one");
}

}  // namespace wf::swap
