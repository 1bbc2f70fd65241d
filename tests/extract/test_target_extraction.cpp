// Target extraction on a clip made from the group photo sample3.jpg: the camera pans, the light changes,
// and a grey card hides the tracked woman for four frames. The truth of every frame is known.

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "dataset/imagefolder.h"
#include "extract/target_extraction.h"
#include "face/detector.h"
#include "media/image_io.h"
#include "support/temp_dir.h"

namespace wf::extract {
namespace {

constexpr int kFrames = 20;
constexpr int kPan = 4;  // pixels per frame, to the left
const cv::Rect2f kMiddleWoman(517, 115, 134, 134);  // the largest face, in the half-size photo

cv::Rect2f truth(int frame) { return kMiddleWoman - cv::Point2f(float(kPan * frame), 0); }
bool hidden(int frame) { return frame >= 8 && frame <= 11; }

std::filesystem::path make_clip(const test::TempDir& dir) {
  cv::Mat photo = media::read_image(core::AppConfig::defaults().assets_dir / "@vladmandic/face-api/demo/sample3.jpg");
  cv::resize(photo, photo, {}, 0.5, 0.5, cv::INTER_AREA);
  const auto path = dir / "party.mkv";
  cv::VideoWriter writer(path.string(), cv::CAP_FFMPEG, cv::VideoWriter::fourcc('F', 'F', 'V', '1'), 10.0, photo.size());
  for (int i = 0; i < kFrames; ++i) {
    cv::Mat frame;
    const cv::Mat pan = (cv::Mat_<double>(2, 3) << 1, 0, -kPan * i, 0, 1, 0);
    cv::warpAffine(photo, frame, pan, photo.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    frame.convertTo(frame, -1, 1.0 - 0.01 * i, 2 * i);  // the light changes
    if (hidden(i)) {
      const cv::Rect2f face = truth(i);
      cv::rectangle(frame, cv::Rect(face.x - 20, face.y - 20, face.width + 40, face.height + 40), cv::Scalar::all(120),
                    cv::FILLED);
    }
    writer.write(frame);
  }
  return path;
}

TEST(TargetExtraction, FollowsOneFaceAndListsTheFramesWhereItIsHidden) {
  test::TempDir dir;
  static FaceAnalysers analysers = load_face_analysers(core::AppConfig::defaults());
  TargetOptions options;
  options.video = make_clip(dir);
  options.output = dir / "target";
  const TargetSummary summary = extract_target(options, analysers);
  EXPECT_EQ(summary.frames, kFrames);
  EXPECT_EQ(summary.frames_without_face, (std::vector<std::int64_t>{8, 9, 10, 11}));
  EXPECT_EQ(summary.faces, kFrames - 4);

  const auto records = dataset::read_records(options.output);
  ASSERT_EQ(records.size(), static_cast<std::size_t>(kFrames - 4));
  double worst_centre_error = 0;
  for (const auto& record : records) {
    const cv::Rect2f expected = truth(static_cast<int>(record.frame_index));
    EXPECT_GE(face::box_iou(record.bbox, expected), 0.4f) << "frame " << record.frame_index;  // the same woman
    const cv::Point2f error = (record.bbox.tl() + record.bbox.br()) * 0.5f - (expected.tl() + expected.br()) * 0.5f;
    worst_centre_error = std::max(worst_centre_error, cv::norm(error));
    EXPECT_EQ(record.mask_origin, dataset::MaskOrigin::hull);
  }
  RecordProperty("worst_box_centre_error_px", std::to_string(worst_centre_error));
  EXPECT_TRUE(dataset::validate_dataset(options.output).empty());

  // A second run resumes: nothing new, the hidden frames are still listed.
  const std::string metadata = test::read_text(options.output / "metadata.jsonl");
  const TargetSummary again = extract_target(options, analysers);
  EXPECT_EQ(again.faces, kFrames - 4);
  EXPECT_EQ(again.frames_without_face, summary.frames_without_face);
  EXPECT_TRUE(test::read_text(options.output / "metadata.jsonl") == metadata);
}

}  // namespace
}  // namespace wf::extract
