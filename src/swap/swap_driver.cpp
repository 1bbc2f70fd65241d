#include "swap/swap_driver.h"

#include <fmt/format.h>

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/paths.h"
#include "core/progress.h"
#include "dataset/imagefolder.h"
#include "media/constant_rate.h"
#include "media/frame_prefetcher.h"
#include "media/image_io.h"
#include "media/media_probe.h"
#include "media/video_reader.h"
#include "media/video_writer.h"
#include "swap/frame_swapper.h"
#include "swap/swap_report.h"
#include "swap/swap_shards.h"
#include "core/process_group.h"

namespace wf::swap {
namespace fs = std::filesystem;
namespace {

// The target video's streams, refused when its frames are not evenly spaced: checked before any engine loads.
media::MediaInfo probe_constant_rate(const fs::path& video) {
  media::MediaInfo info = media::probe_media(video);
  if (info.variable_frame_rate()) {
    // Every frame kept, evenly spaced: the conversion keeps the frame count and, near enough, the sound's timing.
    const std::string rate = fmt::format("{:.6g}", media::even_frame_rate(info));
    throw Error(ErrorCode::unsupported,
                fmt::format("the video has a variable frame rate: {} of its {} frame intervals are not {:.4f} s "
                            "({:.6g} frames a second), so a swapped copy would lose its timing",
                            info.irregular_intervals, info.intervals, 1.0 / info.fps, info.fps),
                video,
                "make it constant, keeping every frame: ffmpeg -i IN -vf setpts=N/" + rate + "/TB -r " + rate +
                    " -c:a copy OUT.mkv, then extract again (the browser's Target step does this for you)");
  }
  return info;
}

// The target the swap reads must not be its output: the user's original would be overwritten.
void refuse_target_as_output(const fs::path& output, const fs::path& target) {
  if (core::same_file(output, target)) {
    throw Error(ErrorCode::invalid_input,
                "the output is the target's own video (or photo): the swap would overwrite the original", output,
                "write the swap to another file");
  }
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

using WriterOptionsFor = std::function<media::VideoWriterOptions(const cv::Mat& first_frame)>;

WriterOptionsFor final_writer_options(const SwapOptions& options, const fs::path& video, const media::MediaInfo& info) {
  return [&options, &video, &info](const cv::Mat& first) {
    return swapped_video_options(options.output, first, info, video, options.provenance, options.lossless);
  };
}

std::function<void()> stop_on_cancel(const SwapOptions& options, const std::atomic<bool>* cancel) {
  return [&options, cancel] {
    if (cancel && cancel->load()) {
      throw Error(ErrorCode::cancelled, "the swap was stopped; nothing was written", options.output, "run it again");
    }
  };
}

void finish_output(std::optional<media::VideoWriter>& writer, const fs::path& video, const media::MediaInfo& info,
                   SwapSummary& summary) {
  if (!writer) throw Error(ErrorCode::invalid_input, "the video has no frame to decode", video, "check that it plays");
  writer->finish();
  summary.video_codec = writer->video_codec();
  summary.audio_streams = info.audio.size();
}

// Frames `range` of the video through the swapper into `writer`, opened at the first frame when not open yet (its
// size is the upright frames': a phone clip is written upright, without the display matrix that turned it).
// `stop` runs before each frame and throws to stop. Returns the frames written.
std::int64_t swap_frames(const fs::path& video, FrameRange range, FrameSwapper& swapper,
                         std::optional<media::VideoWriter>& writer, const WriterOptionsFor& writer_for,
                         nlohmann::json& swapped, core::EventSink* events, const std::function<void()>& stop) {
  media::VideoReader reader(video, {.first_frame = range.begin, .end_frame = range.end});
  const std::optional<std::int64_t> expected = reader.expected_frames();
  media::FramePrefetcher frames(std::move(reader));
  const core::ProgressMeter meter({"swap", 1, 1}, expected);
  std::int64_t written = 0;
  while (auto frame = frames.next()) {
    stop();
    if (!writer) writer.emplace(writer_for(frame->image));
    writer->write(swapper.swap(frame->image, frame->index, &swapped));
    ++written;
    core::Event step = meter.step(written);
    step.step = written;
    if (events) events->emit(step);
  }
  return written;
}

// Appends a lossless part another rank wrote to `writer`; throws when it is missing or holds other than `frames`.
void append_part(const fs::path& part, std::int64_t frames, int rank, std::optional<media::VideoWriter>& writer,
                 const WriterOptionsFor& writer_for, const std::function<void()>& stop) {
  std::error_code ec;
  if (!fs::is_regular_file(part, ec)) {
    throw Error(ErrorCode::not_found, "rank " + std::to_string(rank) + "'s share of the swap is not where it wrote it",
                part, "keep the output folder on storage every rank sees (a shared or network file system)");
  }
  media::VideoReader reader(part);
  std::int64_t read = 0;
  while (auto frame = reader.next()) {
    stop();
    if (!writer) writer.emplace(writer_for(frame->image));
    writer->write(frame->image);
    ++read;
  }
  if (read != frames) {
    throw Error(ErrorCode::corrupt_file,
                "rank " + std::to_string(rank) + "'s share holds " + std::to_string(read) + " frames, not " +
                    std::to_string(frames),
                part, "run the swap again on every rank");
  }
}

void remove_parts(const std::vector<fs::path>& parts) {
  std::error_code ignored;  // a part that never came
  for (const auto& part : parts) fs::remove(part, ignored);
}

// This rank's share of a swap spread over a process group (swap/swap_shards.h).
void swap_shard(const SwapOptions& options, const fs::path& video, const media::MediaInfo& info, FrameSwapper& swapper,
                core::ProcessGroup& group, SwapSummary& summary, nlohmann::json& swapped, core::EventSink* events,
                const std::atomic<bool>* cancel) {
  const int rank = group.rank(), world = group.world_size();
  const std::optional<std::int64_t> count = media::VideoReader(video).expected_frames();
  if (!count || *count <= 0) {
    throw Error(ErrorCode::unsupported, "the video states no frame count, so its frames cannot be shared out", video,
                "remux it (ffmpeg -i IN -c copy OUT.mp4) and extract the target again, or swap on one process");
  }
  const FrameRange range = shard_range(*count, rank, world);
  summary.first_frame = range.begin;
  const std::function<void()> cancelled = stop_on_cancel(options, cancel);
  const std::function<void()> stop = [&] {  // a cancel here, or a rank that stopped them all
    cancelled();
    if (auto why = abort_reason(group)) throw Error(ErrorCode::cancelled, "the swap was stopped: " + *why);
  };
  std::optional<media::VideoWriter> writer;
  if (rank != 0) {
    const fs::path part = shard_part_path(options.output, rank);
    ShardReport report{.rank = rank};
    report.frames = swap_frames(
        video, range, swapper, writer,
        [&](const cv::Mat& first) {
          return media::VideoWriterOptions{.output = part,
                                           .width = first.cols,
                                           .height = first.rows,
                                           .frame_rate = info.frame_rate,
                                           .lossless = true};
        },
        report.swapped, events, stop);
    if (writer) {
      writer->finish();
      summary.video_codec = writer->video_codec();
    }
    publish_shard(group, report);
    summary.frames = report.frames;
    summary.output = part;
    swapped = std::move(report.swapped);
    return;
  }
  const WriterOptionsFor final_options = final_writer_options(options, video, info);
  std::vector<fs::path> parts;
  for (int r = 1; r < world; ++r) parts.push_back(shard_part_path(options.output, r));
  try {
    summary.frames = swap_frames(video, range, swapper, writer, final_options, swapped, events, stop);
    for (const ShardReport& report : collect_shards(group, stop)) {
      if (report.frames > 0) {
        append_part(parts[static_cast<std::size_t>(report.rank - 1)], report.frames, report.rank, writer, final_options,
                    stop);
      }
      summary.frames += report.frames;
      for (const auto& entry : report.swapped) swapped.push_back(entry);
    }
    finish_output(writer, video, info, summary);
  } catch (...) {
    remove_parts(parts);
    throw;
  }
  remove_parts(parts);
}

// The swap on this process, alone (`group` null) or as one rank of `group`.
SwapSummary swap_on(core::ProcessGroup* group, const SwapOptions& options, core::EventSink* events,
                    const std::atomic<bool>* cancel) {
  const auto start = std::chrono::steady_clock::now();
  const fs::path video = target_video(options.target);
  refuse_target_as_output(options.output, video);
  const bool photo_output = media::is_image_file(options.output);
  SwapSummary summary;
  summary.rank = group ? group->rank() : 0;
  summary.ranks = group ? group->world_size() : 1;
  if (photo_output && summary.rank != 0) return summary;  // one photo is not shared out: rank 0 swaps it
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
  emit(core::EventKind::phase_start, std::nullopt, std::string(to_string(options.engine)));
  summary.output = options.output;
  summary.report = swap_report_path(options.output);
  nlohmann::json swapped = nlohmann::json::array();
  if (photo_output) {
    swap_image(options, video, swapper, summary, swapped);
  } else if (group) {
    swap_shard(options, video, *info, swapper, *group, summary, swapped, events, cancel);
  } else {
    std::optional<media::VideoWriter> writer;
    summary.frames = swap_frames(video, {}, swapper, writer, final_writer_options(options, video, *info), swapped,
                                 events, stop_on_cancel(options, cancel));
    finish_output(writer, video, *info, summary);
  }
  summary.swapped = static_cast<std::int64_t>(swapped.size());
  if (summary.rank != 0) {  // its part was handed to rank 0, which writes the output and the report
    summary.report.clear();
  } else {
    write_swap_report({.options = options,
                       .video = video,
                       .frames = summary.frames,
                       .video_codec = summary.video_codec,
                       .audio_streams = summary.audio_streams,
                       .swapped = swapped});
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  emit(core::EventKind::phase_end, summary.frames, (summary.rank == 0 ? summary.report : summary.output).string());
  return summary;
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
  core::ProcessGroup* group = core::process_group();
  if (!group) return swap_on(nullptr, options, events, cancel);
  try {
    return swap_on(group, options, events, cancel);
  } catch (const std::exception& e) {  // the other ranks stop too
    if (!abort_reason(*group)) publish_abort(*group, "rank " + std::to_string(group->rank()) + " failed: " + e.what());
    throw;
  }
}

SwappedFrame swap_frame(const SwapOptions& options, std::int64_t frame_index) {
  const fs::path video = target_video(options.target);
  refuse_target_as_output(options.output, video);
  FrameSwapper swapper(options);
  media::VideoReader reader(video);
  while (auto frame = reader.next()) {
    if (frame->index != frame_index) continue;
    cv::Mat swapped = swapper.swap(frame->image, frame_index);
    return {frame->image, swapped};
  }
  throw Error(ErrorCode::invalid_input, "the video has no frame " + std::to_string(frame_index), options.target,
              "choose a frame between 0 and the last one");
}

}  // namespace wf::swap
