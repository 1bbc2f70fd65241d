// The swap on a real target clip (the panning group photo, with a tone as its audio) and a real source face
// (Grace Hopper): the offline engine's video keeps the input's frame count, size, rate and audio (ffprobe says
// so), frames and pixels outside the paste mask come back bit for bit, the swapped face looks more like the
// source than like the person it replaced, and bad inputs are explained.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "core/error.h"
#include "core/json_io.h"
#include "core/subprocess.h"
#include "dataset/imagefolder.h"
#include "extract/source_extraction.h"
#include "extract/target_extraction.h"
#include "face/embedder.h"
#include "face/hull_mask.h"
#include "media/image_io.h"
#include "media/media_probe.h"
#include "support/error_code.h"
#include "support/temp_dir.h"
#include "swap/frame_swapper.h"
#include "swap/paste_back.h"
#include "swap/swap_driver.h"
#include "swap/swap_report.h"
#include "swap/track_smoothing.h"
#include "swap/warp_engine.h"
#include "swap_media.h"

namespace wf::swap {
namespace {
namespace fs = std::filesystem;
using test::decode;
using test::ffmpeg;
using test::ffprobe;
using test::media;

SwapOptions options_for(const fs::path& output, const fs::path& target = media().target) {
  SwapOptions options = default_swap_options();
  options.source = media().source;
  options.target = target;
  options.output = output;
  return options;
}

TEST(Swap, TheVideoKeepsFramesSizeRateAndAudioAndSaysItWasMadeByWatserFace) {
  test::TempDir out;
  const SwapSummary summary = swap_video(options_for(out / "swapped.mp4"));
  EXPECT_EQ(summary.frames, 10);
  EXPECT_EQ(summary.swapped, static_cast<std::int64_t>(dataset::read_records(media().target).size()));
  const nlohmann::json in = ffprobe(media().video), swapped = ffprobe(out / "swapped.mp4");
  auto stream = [](const nlohmann::json& probe, const std::string& type) {
    for (const auto& s : probe.at("streams")) {
      if (s.at("codec_type") == type) return s;
    }
    return nlohmann::json();
  };
  const auto video_in = stream(in, "video"), video_out = stream(swapped, "video");
  EXPECT_EQ(video_out.at("nb_read_frames"), video_in.at("nb_read_frames"));
  EXPECT_EQ(video_out.at("width"), video_in.at("width"));
  EXPECT_EQ(video_out.at("height"), video_in.at("height"));
  EXPECT_EQ(video_out.at("r_frame_rate"), video_in.at("r_frame_rate"));
  EXPECT_EQ(video_out.at("codec_name"), summary.video_codec == "libx264" ? "h264" : "mpeg4");
  const auto audio_out = stream(swapped, "audio");
  ASSERT_FALSE(audio_out.is_null()) << "the audio was lost";
  EXPECT_EQ(audio_out.at("codec_name"), "aac");
  EXPECT_EQ(audio_out.at("sample_rate"), stream(in, "audio").at("sample_rate"));
  EXPECT_NE(swapped.at("format").at("tags").at("comment").get<std::string>().find("WatserFace"), std::string::npos);
  const auto report = core::read_json_file(summary.report);
  EXPECT_EQ(report.at("swapped").size(), static_cast<std::size_t>(summary.swapped));
  EXPECT_EQ(report.at("audio_streams"), 1);
}

TEST(Swap, OutsideThePasteMaskAndOnFramesWithoutTheFaceNothingChanges) {
  test::TempDir out;
  // A copy of the target dataset that has lost frame 3's face: that frame must pass through untouched.
  fs::copy(media().target, out / "target", fs::copy_options::recursive);
  auto records = dataset::read_records(out / "target");
  const auto dropped = std::find_if(records.begin(), records.end(), [](const auto& r) { return r.frame_index == 3; });
  ASSERT_NE(dropped, records.end());
  records.erase(dropped);
  dataset::rewrite_records(out / "target", records);
  SwapOptions options = options_for(out / "swapped.mkv", out / "target");
  options.lossless = true;
  swap_video(options);
  const auto before = decode(media().video), after = decode(out / "swapped.mkv");
  ASSERT_EQ(after.size(), before.size());
  EXPECT_EQ(cv::norm(after[3], before[3], cv::NORM_INF), 0) << "a frame without the face changed";
  int changed_frames = 0;
  for (const auto& record : records) {
    const auto i = static_cast<std::size_t>(record.frame_index);
    const cv::Mat mask = frame_mask(before[i].size(), media::read_mask(out / "target" / record.mask_file_name()),
                                    cv::Mat(*record.crop_matrix), 0);
    cv::Mat difference;
    cv::absdiff(after[i], before[i], difference);
    cv::cvtColor(difference, difference, cv::COLOR_BGR2GRAY);
    EXPECT_EQ(cv::countNonZero(difference & (mask == 0)), 0) << "frame " << i << ": pixels outside the mask changed";
    changed_frames += cv::countNonZero(difference) > 100;
  }
  EXPECT_EQ(changed_frames, static_cast<int>(records.size()));
  // The preview is the frame the video got.
  const cv::Mat preview = swap_frame(options, records.front().frame_index).swapped;
  EXPECT_EQ(cv::norm(preview, after[static_cast<std::size_t>(records.front().frame_index)], cv::NORM_INF), 0);
}

TEST(Swap, TheSwappedFaceLooksMoreLikeTheSourceThanTheTarget) {
  test::TempDir out;
  SwapOptions options = options_for(out / "swapped.mkv");
  options.lossless = true;
  swap_video(options);
  const auto frames = decode(out / "swapped.mkv");
  std::vector<float> source;
  for (const auto& r : dataset::read_records(media().source)) source = r.embedding;
  int closer = 0, measured = 0;
  for (const auto& record : dataset::read_records(media().target)) {
    const cv::Mat& frame = frames.at(static_cast<std::size_t>(record.frame_index));
    // The face at the tracked face's place, analysed as extraction would.
    for (const auto& detection : media().analysers.detector->detect(frame)) {
      if (face::box_iou(detection.box, record.bbox) < 0.4f) continue;
      models::StageTimes times;
      const auto face = models::analyse_face(media().analysers, frame, detection, times);
      ++measured;
      closer +=
          face::cosine_similarity(face.embedding, source) > face::cosine_similarity(face.embedding, record.embedding);
      break;
    }
  }
  const double share = measured > 0 ? static_cast<double>(closer) / measured : 0;
  std::cout << "swapped faces closer to the source than to the target: " << closer << " of " << measured << "\n";
  RecordProperty("closer_to_source_share", std::to_string(share));
  EXPECT_GE(measured, 8);
  EXPECT_GT(share, 0.5);
}

TEST(Swap, AGrownMaskChangesMoreOfTheFrameAndAShrunkOneLess) {
  test::TempDir out;
  const cv::Mat original = decode(media().video).at(2);
  auto changed_pixels = [&](double grow) {
    SwapOptions options = options_for(out / "x.mkv");
    options.mask_grow = grow;
    cv::Mat difference;
    cv::absdiff(swap_frame(options, 2).swapped, original, difference);
    cv::cvtColor(difference, difference, cv::COLOR_BGR2GRAY);
    return cv::countNonZero(difference);
  };
  const int shrunk = changed_pixels(-0.04), plain = changed_pixels(0), grown = changed_pixels(0.04);
  std::cout << "changed pixels: shrunk " << shrunk << ", as extracted " << plain << ", grown " << grown << "\n";
  EXPECT_LT(shrunk, 0.95 * plain);
  EXPECT_GT(grown, 1.05 * plain);
}

// Masks that are no face: a speck, a line, several dots, a mask too faint to pass the engines' threshold, nothing.
std::vector<std::pair<std::string, cv::Mat>> degenerate_masks(const cv::Mat& hull) {
  const cv::Rect box = cv::boundingRect(hull > 127);
  const cv::Point centre(box.x + box.width / 2, box.y + box.height / 2);
  std::vector<std::pair<std::string, cv::Mat>> masks;
  auto blank = [&] { return cv::Mat(cv::Mat::zeros(hull.size(), CV_8U)); };
  for (const int side : {1, 2, 9, 10, 12}) {  // 9 and 10: one and two pixels across after the engine's erosion
    cv::Mat mask = blank();
    mask(cv::Rect(centre.x, centre.y, side, side)).setTo(255);
    masks.emplace_back(std::to_string(side) + " px square", mask);
  }
  cv::Mat line = blank();
  cv::line(line, {box.x, centre.y}, {box.x + box.width, centre.y + box.height / 3}, cv::Scalar(255), 1);
  masks.emplace_back("thin line", line);
  cv::Mat dots = blank();
  for (const int dx : {-box.width / 4, 0, box.width / 4})
    cv::circle(dots, centre + cv::Point(dx, 0), 2, cv::Scalar(255), cv::FILLED);
  masks.emplace_back("several dots", dots);
  masks.emplace_back("faint", cv::Mat(hull / 255 * 100));
  masks.emplace_back("all black", blank());
  return masks;
}

TEST(Swap, TheOfflineEngineSwapsThroughSpecksAndLinesWithoutThrowing) {
  // OpenCV's seamlessClone throws std::length_error ("vector::_M_default_append") for a mask one pixel across and
  // cv::Exception (!fixedSize()) for one two pixels across: the engine must not hand it such a mask.
  const SourceFaces source = load_source_faces(media().source);
  const auto record = dataset::read_records(media().target).front();
  SwapFace face;
  face.crop = media::read_image(media().target / record.file_name());
  face.landmarks_68 = record.landmarks_68;
  face.landmarks_478 = record.landmarks_478;
  const cv::Mat hull = face::hull_mask(face.crop.size(), record.landmarks_68, 0.f);
  for (const bool seamless : {true, false}) {
    WarpOptions warp = default_swap_options().warp;
    warp.seamless = seamless;
    WarpEngine engine(source, warp);
    for (const auto& [name, mask] : degenerate_masks(hull)) {
      face.mask = mask;
      SwappedFace swapped;
      EXPECT_NO_THROW(swapped = engine.swap(face)) << name;
      EXPECT_EQ(swapped.crop.size(), face.crop.size()) << name;
      EXPECT_EQ(cv::countNonZero(swapped.mask & (mask <= 127)), 0) << name << ": swapped outside the mask";
    }
  }
}

TEST(Swap, AMaskTooSmallOrFaintToSwapThroughFallsBackToTheHullAndTheReportSaysSo) {
  test::TempDir out;
  fs::copy(media().target, out / "target", fs::copy_options::recursive);
  auto records = dataset::read_records(out / "target");
  std::vector<std::string> kinds;
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto& record = records[i];
    const cv::Mat hull =
        face::hull_mask(media::read_image(out / "target" / record.file_name()).size(), record.landmarks_68, 0.f);
    const auto masks = degenerate_masks(hull);
    const auto& [kind, mask] = masks[i % masks.size()];
    kinds.push_back(kind);
    media::write_image(out / "target" / record.mask_file_name(), mask);
    record.mask_origin = dataset::MaskOrigin::painted;
  }
  dataset::rewrite_records(out / "target", records);
  SwapOptions options = options_for(out / "swapped.mkv", out / "target");
  options.lossless = true;
  const SwapSummary summary = swap_video(options);
  EXPECT_EQ(summary.swapped, static_cast<std::int64_t>(records.size()));
  const auto report = core::read_json_file(summary.report).at("swapped");
  ASSERT_EQ(report.size(), records.size());
  const auto before = decode(media().video), after = decode(out / "swapped.mkv");
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(report[i].at("mask"), "hull") << kinds[i];
    EXPECT_NE(report[i].value("warning", "").find("the painted mask covers"), std::string::npos) << report[i].dump();
    const auto frame = static_cast<std::size_t>(records[i].frame_index);
    cv::Mat difference;
    cv::absdiff(after[frame], before[frame], difference);
    cv::cvtColor(difference, difference, cv::COLOR_BGR2GRAY);
    EXPECT_GT(cv::countNonZero(difference), 100) << kinds[i] << ": the face was not swapped";
  }
  // The preview of one frame takes the same way.
  EXPECT_NO_THROW(swap_frame(options, records.front().frame_index));

  // A mask of another size than its face is refused by name, as the wrong file it is.
  media::write_image(out / "target" / records.front().mask_file_name(), cv::Mat(100, 80, CV_8U, cv::Scalar(255)));
  std::string message;
  EXPECT_EQ(test::error_code([&] { swap_frame(options, records.front().frame_index); }, &message),
            ErrorCode::invalid_input);
  EXPECT_NE(message.find("the mask is 80x100"), std::string::npos) << message;
  EXPECT_NE(message.find(records.front().mask_file_name()), std::string::npos) << message;
}

TEST(Swap, ADamagedSwapReportIsRefusedAsCorruptNamingTheFile) {
  test::TempDir out;
  SwapReport written;
  written.options = options_for(out / "swapped.mp4");
  written.video = media().video;
  written.frames = 10;
  written.video_codec = "libx264";
  written.swapped = nlohmann::json::array({{{"frame", 0}, {"face", "f"}, {"source_face", "s"}, {"mask", "hull"}}});
  write_swap_report(written);
  const fs::path path = swap_report_path(out / "swapped.mp4");
  const nlohmann::json intact = core::read_json_file(path);
  EXPECT_EQ(read_swap_report(out / "swapped.mp4").frames, 10);
  // A report of the version before (a project swapped before this release) is read as it meant.
  nlohmann::json version_2 = intact;
  version_2["version"] = 2;
  version_2["lossless"] = true;
  version_2["provenance"] = false;
  nlohmann::json& options = version_2.at("options");
  options["smooth_landmarks"] = false;
  for (const char* moved : {"smoothing", "lossless", "provenance"}) options.erase(moved);
  options.at("warp").erase("keep_expression");
  test::write_text(path, version_2.dump());
  const SwapReport older = read_swap_report(out / "swapped.mp4");
  EXPECT_FALSE(older.options.smoothing);
  EXPECT_TRUE(older.options.lossless);
  EXPECT_FALSE(older.options.provenance);
  EXPECT_FALSE(older.options.warp.keep_expression) << "a version 2 swap kept no expression";
  EXPECT_EQ(older.options.warp.colour, written.options.warp.colour);
  const std::vector<std::pair<nlohmann::json, ErrorCode>> damages{
      {{{"version", "two"}}, ErrorCode::corrupt_file}, {{{"version", 2.5}}, ErrorCode::corrupt_file},
      {{{"version", 1e300}}, ErrorCode::corrupt_file}, {{{"version", 1}}, ErrorCode::unsupported},
      {{{"frames", -2.5}}, ErrorCode::corrupt_file},   {{{"audio_streams", -1}}, ErrorCode::corrupt_file},
      {{{"swapped", 5}}, ErrorCode::corrupt_file},     {{{"swapped", {{{"frame", "zero"}}}}}, ErrorCode::corrupt_file},
      {{{"swapped", {7}}}, ErrorCode::corrupt_file},   {nlohmann::json::array(), ErrorCode::corrupt_file},
  };
  for (const auto& [patch, code] : damages) {
    nlohmann::json damaged = intact;
    if (patch.is_array()) {
      damaged = patch;
    } else {
      damaged.merge_patch(patch);
    }
    test::write_text(path, damaged.dump());
    try {
      read_swap_report(out / "swapped.mp4");
      ADD_FAILURE() << patch.dump() << " was read";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), code) << patch.dump() << ": " << e.what();
      EXPECT_EQ(e.path(), path) << patch.dump();
    }
  }
}

TEST(Swap, SmoothingStartsAgainAtACut) {
  auto raw = dataset::read_records(media().target);
  ASSERT_GE(raw.size(), 6u);
  // Another shot from the fourth face on: the face 40 pixels (in its crop) away at once.
  const std::int64_t cut = raw[3].frame_index;
  for (std::size_t i = 3; i < raw.size(); ++i) {
    for (auto& p : raw[i].landmarks_68) p += cv::Point2f(40, 0);
  }
  auto across = raw, restarted = raw;
  smooth_track(across);
  smooth_track(restarted, {cut});
  const double lag_across = cv::norm(across[3].landmarks_68[30] - raw[3].landmarks_68[30]);
  const double lag_restarted = cv::norm(restarted[3].landmarks_68[30] - raw[3].landmarks_68[30]);
  EXPECT_LT(lag_restarted, 1e-3) << "the first face of a shot is taken as it is";
  EXPECT_GT(lag_across, 5.0) << "smoothed across the cut, it drags the last shot's position along";
}

TEST(Swap, SmoothingTheTrackTakesOutJitterWithoutLaggingBehind) {
  const auto raw = dataset::read_records(media().target);
  auto smoothed = raw;
  smooth_track(smoothed);
  ASSERT_EQ(smoothed.size(), raw.size());
  // In the frame's pixels: jitter is the second difference of each landmark's track, lag its distance to the raw one.
  auto in_frame = [](const dataset::FaceRecord& r) {
    cv::Mat to_frame;
    cv::invertAffineTransform(cv::Mat(*r.crop_matrix), to_frame);
    std::vector<cv::Point2f> points;
    cv::transform(r.landmarks_68, points, to_frame);
    return points;
  };
  double raw_jitter = 0, smooth_jitter = 0, lag = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto r = in_frame(raw[i]), s = in_frame(smoothed[i]);
    for (std::size_t k = 0; k < 68; ++k) lag += cv::norm(r[k] - s[k]) / 68 / static_cast<double>(raw.size());
    if (i < 2) continue;
    const auto r1 = in_frame(raw[i - 1]), r2 = in_frame(raw[i - 2]), s1 = in_frame(smoothed[i - 1]),
               s2 = in_frame(smoothed[i - 2]);
    for (std::size_t k = 0; k < 68; ++k) {
      raw_jitter += cv::norm(r[k] - 2 * r1[k] + r2[k]);
      smooth_jitter += cv::norm(s[k] - 2 * s1[k] + s2[k]);
    }
  }
  std::cout << "jitter raw " << raw_jitter << ", smoothed " << smooth_jitter << "; mean lag " << lag << " px\n";
  EXPECT_LT(smooth_jitter, 0.8 * raw_jitter);
  EXPECT_LT(lag, 3.0);
}

TEST(Swap, APhotoTargetGivesAPhotoMarkedAsMadeByWatserFace) {
  test::TempDir out;
  extract::TargetOptions target;
  target.video = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";
  target.output = out / "target";
  target.crop_size = 256;
  extract::extract_target(target, media().analysers);
  for (const char* name : {"swapped.png", "swapped.jpg"}) {
    const SwapSummary summary = swap_video(options_for(out / name, out / "target"));
    EXPECT_EQ(summary.frames, 1);
    EXPECT_EQ(summary.swapped, 1);
    const cv::Mat photo = media::read_image(out / name), original = media::read_image(target.video);
    EXPECT_EQ(photo.size(), original.size());
    const std::string bytes = test::read_text(out / name);
    const std::string mark = std::string(name).ends_with(".png")
                                 ? std::string("tEXtComment") + '\0' + "Made with WatserFace"
                                 : std::string("Comment: Made with WatserFace");
    EXPECT_NE(bytes.find(mark), std::string::npos) << name << " carries no provenance mark";
  }
  std::string message;
  EXPECT_EQ(test::error_code([&] { swap_video(options_for(out / "frame.png")); }, &message), ErrorCode::invalid_input);
  EXPECT_NE(message.find("needs a photo"), std::string::npos) << message;
}

TEST(Swap, BadInputsAreExplained) {
  test::TempDir out;
  std::string message;
  // A target dataset without the face.
  fs::copy(media().target, out / "empty", fs::copy_options::recursive);
  dataset::rewrite_records(out / "empty", {});
  EXPECT_EQ(test::error_code([&] { swap_video(options_for(out / "a.mp4", out / "empty")); }, &message),
            ErrorCode::invalid_input);
  EXPECT_NE(message.find("nothing to swap"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(out / "a.mp4"));
  // The source and target swapped round.
  SwapOptions options = options_for(out / "b.mp4");
  options.source = media().target;
  EXPECT_EQ(test::error_code([&] { swap_video(options); }, &message), ErrorCode::invalid_input);
  EXPECT_NE(message.find("takes the face from the source"), std::string::npos) << message;
  // A video without audio gives a video without audio; two audio streams are both kept.
  ffmpeg({"-i", media().video.string(), "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=48000:duration=1", "-map",
          "0:v", "-map", "0:a", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-shortest", (out / "two.mkv").string()});
  for (const auto& [video, streams] :
       std::vector<std::pair<fs::path, std::size_t>>{{media().silent, 0}, {out / "two.mkv", 2}}) {
    extract::TargetOptions target;
    target.video = video;
    target.output = out / ("target_" + video.stem().string());
    target.crop_size = 128;
    extract::extract_target(target, media().analysers);
    const SwapSummary summary = swap_video(options_for(out / (video.stem().string() + ".mp4"), target.output));
    EXPECT_EQ(summary.audio_streams, streams) << video;
    EXPECT_EQ(media::probe_media(summary.output).audio.size(), streams) << video;
  }
  // A variable frame rate: refused with the conversion to run.
  ffmpeg({"-i", media().silent.string(), "-vf",
          "select='lt(n\\,3)+gte(n\\,6)',setpts=N/10/TB+if(gte(N\\,3)\\,0.5/TB\\,0)", "-vsync", "vfr", "-c:v", "ffv1",
          (out / "vfr.mkv").string()});
  ASSERT_TRUE(media::probe_media(out / "vfr.mkv").variable_frame_rate()) << ffprobe(out / "vfr.mkv").dump();
  extract::TargetOptions target;
  target.video = out / "vfr.mkv";
  target.output = out / "target_vfr";
  target.crop_size = 128;
  extract::extract_target(target, media().analysers);
  try {
    swap_video(options_for(out / "c.mp4", target.output));
    ADD_FAILURE() << "a variable frame rate was swapped";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(std::string(e.what()).find("variable frame rate"), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find("ffmpeg -i"), std::string::npos) << e.hint();
  }
}

}  // namespace
}  // namespace wf::swap
