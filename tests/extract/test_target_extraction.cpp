// Target extraction on a clip made from the group photo sample3.jpg: the camera pans, the light changes,
// and a grey card hides the tracked woman for four frames. The truth of every frame is known.

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "core/events.h"
#include "dataset/imagefolder.h"
#include "extract/target_extraction.h"
#include "models/face_analysers.h"
#include "face/detector.h"
#include "media/image_io.h"
#include "media/video_reader.h"
#include "support/run_command.h"
#include "support/synthetic_clip.h"
#include "support/temp_dir.h"

namespace wf::extract {
namespace {

const cv::Rect2f kMiddleWoman(517, 115, 134, 134);  // the largest face, in the half-size photo

test::PanningClip party_clip() {
  test::PanningClip clip = test::group_photo_clip(20);
  clip.hidden_region = kMiddleWoman;
  clip.hidden_from = 8;
  clip.hidden_to = 11;
  return clip;
}

models::FaceAnalysers& analysers() {
  static models::FaceAnalysers loaded = models::load_face_analysers(core::AppConfig::defaults());
  return loaded;
}

// The woman's 478 landmarks in frame 0, the truth every later frame is compared with (moved by the pan).
std::vector<cv::Point2f> landmarks_in_first_frame(const test::PanningClip& clip) {
  const cv::Mat frame = clip.frame(0);
  for (const auto& detection : analysers().detector->detect(frame)) {
    if (face::box_iou(detection.box, kMiddleWoman) < 0.4f) continue;
    models::StageTimes unused;
    const auto mesh = models::analyse_face(analysers(), frame, detection, unused).mesh;
    std::vector<cv::Point2f> points;
    for (const auto& p : mesh.value().points) points.emplace_back(p.x, p.y);
    return points;
  }
  ADD_FAILURE() << "the woman is not found in frame 0";
  return {};
}

TEST(TargetExtraction, FollowsOneFaceAndListsTheFramesWhereItIsHidden) {
  test::TempDir dir;
  const test::PanningClip clip = party_clip();
  TargetOptions options;
  options.video = dir / "party.mkv";
  clip.write(options.video);
  options.output = dir / "target";
  options.tracker.max_missed = 2;  // the track dies behind the card: the woman must be found again by identity
  core::EventLog events(dir / "events.jsonl");
  const TargetSummary summary = extract_target(options, analysers(), &events);
  EXPECT_EQ(summary.frames, clip.frames);
  EXPECT_EQ(summary.frames_without_face, (std::vector<std::int64_t>{8, 9, 10, 11}));
  EXPECT_EQ(summary.faces, clip.frames - 4);
  for (double stage : {summary.times.decode, summary.times.detect, summary.times.landmarks, summary.times.embed,
                       summary.times.write}) {
    EXPECT_GT(stage, 0.0);
  }

  // The same woman in every frame, her landmarks where the pan moved them.
  const auto truth = landmarks_in_first_frame(clip);
  ASSERT_EQ(truth.size(), 478u);
  const double iod = cv::norm(truth[468] - truth[473]);
  const auto records = dataset::read_records(options.output);
  ASSERT_EQ(records.size(), static_cast<std::size_t>(clip.frames - 4));
  double mean_error = 0, worst_error = 0;
  for (const auto& record : records) {
    const int frame = static_cast<int>(record.frame_index);
    const cv::Rect2f expected = kMiddleWoman - cv::Point2f(float(clip.pan * frame), 0.f);
    EXPECT_GE(face::box_iou(record.bbox, expected), 0.4f) << "frame " << frame;
    ASSERT_TRUE(record.crop_matrix);
    cv::Matx23f to_frame;
    cv::invertAffineTransform(*record.crop_matrix, to_frame);
    std::vector<cv::Point2f> found;
    for (const auto& p : record.landmarks_478) found.emplace_back(p.x, p.y);
    cv::transform(found, found, to_frame);
    double error = 0;
    for (std::size_t i = 0; i < found.size(); ++i) error += cv::norm(found[i] - clip.moved(truth[i], frame));
    error /= static_cast<double>(found.size()) * iod;
    mean_error += error / static_cast<double>(records.size());
    worst_error = std::max(worst_error, error);
    EXPECT_EQ(record.mask_origin, dataset::MaskOrigin::hull);
    EXPECT_TRUE(record.arcface_crop);
  }
  EXPECT_LT(mean_error, 0.03) << "mean landmark error, fraction of the inter-ocular distance";
  EXPECT_LT(worst_error, 0.06);
  RecordProperty("mean_landmark_error_iod", std::to_string(mean_error));
  RecordProperty("worst_frame_landmark_error_iod", std::to_string(worst_error));
  EXPECT_TRUE(dataset::validate_dataset(options.output).empty());
  if (std::filesystem::exists("/usr/bin/python3")) {
    const auto check = test::run_command({"/usr/bin/python3", WF_DATASET_CHECK, options.output.string()});
    EXPECT_EQ(check.status, 0) << check.output;
  }

  // Progress went out as step events over both passes (finding everyone, writing her faces), the last one at the
  // last frame of the expected count.
  const auto batch = core::read_events(dir / "events.jsonl");
  ASSERT_EQ(batch.events.size(), static_cast<std::size_t>(2 * clip.frames));
  EXPECT_EQ(batch.events.back().step, 2 * clip.frames);
  EXPECT_EQ(batch.events.back().steps, 2 * clip.frames);
  EXPECT_GT(batch.events.back().items_per_s.value_or(0), 0);

  // A second run resumes: nothing new, the hidden frames are still listed.
  const std::string metadata = test::read_text(options.output / "metadata.jsonl");
  const TargetSummary again = extract_target(options, analysers());
  EXPECT_EQ(again.faces, clip.frames - 4);
  EXPECT_EQ(again.frames_without_face, summary.frames_without_face);
  EXPECT_TRUE(test::read_text(options.output / "metadata.jsonl") == metadata);
}

// The frames stay in the video: decoding it and warping by each record's crop matrix gives its crop again.
TEST(TargetExtraction, VideoReferenceAndCropMatrixReproduceEveryCrop) {
  test::TempDir dir;
  test::PanningClip clip = party_clip();
  clip.frames = 6;
  TargetOptions options;
  options.video = dir / "party.mkv";
  clip.write(options.video);
  options.output = dir / "target";
  options.crop_size = 256;
  extract_target(options, analysers());

  const auto card = dataset::read_card(options.output);
  ASSERT_TRUE(card.video);
  EXPECT_EQ(card.video->path, std::filesystem::absolute(options.video));
  EXPECT_EQ(card.video->bytes, std::filesystem::file_size(options.video));
  EXPECT_EQ(card.video->fps, clip.fps);
  const auto records = dataset::read_records(options.output);
  ASSERT_EQ(records.size(), 6u);
  media::VideoReader video(card.video->path);
  std::size_t next = 0;
  while (auto frame = video.next()) {
    if (next == records.size() || records[next].frame_index != frame->index) continue;
    cv::Mat again;
    cv::warpAffine(frame->image, again, cv::Mat(*records[next].crop_matrix), {256, 256}, cv::INTER_LINEAR,
                   cv::BORDER_REPLICATE);
    const cv::Mat stored = media::read_image(options.output / records[next].file_name());
    cv::Mat difference;
    cv::absdiff(again, stored, difference);
    EXPECT_LT(cv::mean(difference)[0], 0.5) << "frame " << frame->index;
    const cv::Mat arcface = media::read_image(options.output / records[next].arcface_file_name());
    EXPECT_EQ(arcface.size(), cv::Size(112, 112));
    ++next;
  }
  EXPECT_EQ(next, records.size());
}

// A target video whose name is not UTF-8: dataset.json shows it with U+FFFD and keeps its exact bytes, so the swap
// finds the video again.
TEST(TargetExtraction, AVideoWhoseNameIsNotUtf8IsFoundAgainThroughTheDatasetCard) {
  test::TempDir dir;
  test::PanningClip clip = party_clip();
  clip.frames = 2;
  TargetOptions options;
  options.video = dir / "f\xeate.mkv";
  clip.write(options.video);
  options.output = dir / "target";
  EXPECT_EQ(extract_target(options, analysers()).faces, 2);
  const auto card = dataset::read_card(options.output);
  ASSERT_TRUE(card.video);
  EXPECT_EQ(card.video->path, std::filesystem::absolute(options.video));
  EXPECT_NE(test::read_text(options.output / "dataset.json").find("f\xEF\xBF\xBDte.mkv"), std::string::npos);
  EXPECT_TRUE(dataset::validate_dataset(options.output).empty());
  EXPECT_EQ(dataset::read_records(options.output)[0].id, "f\xEF\xBF\xBDte_000000");
}

}  // namespace
}  // namespace wf::extract
