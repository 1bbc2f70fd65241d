// The target's expression through the offline engine, measured by appearance: a talking, blinking face made from
// the astronaut's portrait (her jaw drops by a varying amount, showing a dark opening and a row of teeth, and she
// blinks) gets Grace Hopper's face. What is inside her mouth and her eyes must follow her, frame by frame.

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <set>

#include "core/median.h"
#include "dataset/imagefolder.h"
#include "extract/target_extraction.h"
#include "face/embedder.h"
#include "face/expression_regions.h"
#include "media/image_io.h"
#include "support/temp_dir.h"
#include "swap/source_faces.h"
#include "swap/swap_driver.h"
#include "swap/warp_engine.h"
#include "swap_media.h"

namespace wf::swap {
namespace {
namespace fs = std::filesystem;
using test::decode;
using test::media;

constexpr int kFrames = 24;
const std::set<int> kUpperLip{191, 80, 81, 82,  13,  312, 311, 310, 415, 185, 40,
                              39,  37, 0,  267, 269, 270, 409, 78,  308, 61,  291};
const std::set<int> kLowerInnerLip{324, 318, 402, 317, 14, 87, 178, 88, 95};

double mouth_open(int frame) {
  return std::max(0.0, std::sin(2 * M_PI * frame / 8.0)) * 0.45;
}
bool blinking(int frame) {
  return frame % 10 == 6 || frame % 10 == 7;
}

struct TalkingClip {
  cv::Mat portrait;
  std::vector<cv::Point2f> mesh;

  TalkingClip() {
    // Her head, twice its size in the photo: a face about 200 pixels wide, as in a close-up.
    const cv::Mat photo = media::read_image("/usr/lib/python3/dist-packages/skimage/data/astronaut.png");
    cv::resize(photo(cv::Rect(110, 10, 220, 220)), portrait, {440, 440}, 0, 0, cv::INTER_CUBIC);
    const auto faces = media().analysers.detector->detect(portrait);
    models::StageTimes unused;
    const auto face = models::analyse_face(media().analysers, portrait, faces.at(0), unused);
    for (const auto& p : face.mesh.value().points) mesh.emplace_back(p.x, p.y);
  }

  cv::Mat frame(int index) const {
    std::vector<cv::Point2f> to = mesh;
    const face::ExpressionRegions lips = face::expression_regions(mesh);
    const cv::Point2f corner_a = lips.inner_mouth.front(), corner_b = lips.inner_mouth[lips.inner_mouth.size() / 2];
    const float width = static_cast<float>(cv::norm(corner_a - corner_b));
    const cv::Point2f centre = (corner_a + corner_b) * 0.5f;
    const float drop = static_cast<float>(mouth_open(index)) * width;
    for (std::size_t i = 0; i < to.size(); ++i) {
      const int k = static_cast<int>(i);
      if (kUpperLip.count(k) || (mesh[i].y <= centre.y && !kLowerInnerLip.count(k))) continue;
      const float dx = (mesh[i].x - centre.x) / (1.5f * width);
      to[i].y += drop * std::exp(-dx * dx);
    }
    cv::Mat coverage;
    const cv::Mat warped = warp_triangles(portrait, mesh, to, portrait.size(), coverage);
    cv::Mat out = portrait.clone();
    warped.copyTo(out, coverage);
    if (drop > 1) {
      const face::ExpressionRegions open = face::expression_regions(to);
      const cv::Mat inside = face::polygon_mask(out.size(), open.inner_mouth, 0);
      out.setTo(cv::Scalar(40, 28, 55), inside);
      // A row of teeth under the upper lip, a third of the opening deep.
      std::vector<cv::Point2f> teeth(open.inner_mouth.begin(), open.inner_mouth.begin() + 11);
      for (int j = 10; j >= 0; --j)
        teeth.push_back(open.inner_mouth[static_cast<std::size_t>(j)] + cv::Point2f(0, drop / 3));
      cv::Mat row = face::polygon_mask(out.size(), teeth, 0) & inside;
      out.setTo(cv::Scalar(205, 210, 215), row);
    }
    if (blinking(index)) {
      // Shut: the eye covered by the skin just above it, a line of lashes along the lower lid.
      for (std::size_t e = 0; e < 2; ++e) {
        const std::vector<cv::Point2f>& eye = lips.eyes[e];
        const cv::Mat inside = face::polygon_mask(out.size(), eye, 3);
        const float height = static_cast<float>(cv::boundingRect(eye).height) + 6;
        std::vector<cv::Point2f> above;
        for (const auto& p : eye) above.push_back(p - cv::Point2f(0, height));
        out.setTo(cv::mean(out, face::polygon_mask(out.size(), above, 0)), inside);
        std::vector<cv::Point> lashes;
        for (std::size_t j = eye.size() / 2; j <= eye.size(); ++j) {
          const cv::Point2f p = eye[j % eye.size()];
          lashes.emplace_back(cvRound(p.x), cvRound(p.y));
        }
        cv::polylines(out, lashes, false, cv::Scalar(45, 40, 40), 2, cv::LINE_AA);
      }
    }
    return out;
  }

  void write(const fs::path& path) const {
    cv::VideoWriter writer(path.string(), cv::CAP_FFMPEG, cv::VideoWriter::fourcc('F', 'F', 'V', '1'), 10,
                           portrait.size());
    for (int i = 0; i < kFrames; ++i) writer.write(frame(i));
  }
};

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n, mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) * (a[i] - ma);
    bb += (b[i] - mb) * (b[i] - mb);
  }
  return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0;
}

struct Fidelity {
  double mouth = 0, eyes = 0;   // correlation over the clip of the grey spread inside the mouth, the eye windows
  double blink_difference = 0;  // in the blinks: mean grey difference of the output's eye windows from the target's
  double identity = 0;          // the output faces' median cosine to the source
};

double window_difference(const cv::Mat& a, const cv::Mat& b, const std::vector<cv::Point2f>& window) {
  cv::Mat difference;
  cv::absdiff(a, b, difference);
  return cv::mean(difference, face::polygon_mask(a.size(), window, 0))[0];
}

// The output against the target, inside the target's mouth and eyes (in each face's crop), over the clip; and the
// output faces' likeness to the source.
Fidelity fidelity(const fs::path& target, const fs::path& output) {
  const std::vector<cv::Mat> swapped = decode(output);
  std::vector<double> mouth_target, mouth_output, eyes_target, eyes_output;
  const std::vector<float> source = load_source_faces(media().source).mean_embedding;
  std::vector<double> identity, blink_difference;
  const auto records = dataset::read_records(target);
  for (const auto& record : records) {
    const cv::Mat target_crop = media::read_image(target / record.file_name());
    cv::Mat output_crop;
    cv::warpAffine(swapped.at(static_cast<std::size_t>(record.frame_index)), output_crop, cv::Mat(*record.crop_matrix),
                   target_crop.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    std::vector<cv::Point2f> points;
    for (const auto& p : record.landmarks_478) points.emplace_back(p.x, p.y);
    const face::ExpressionRegions regions = face::expression_regions(points);
    mouth_target.push_back(face::grey_spread(target_crop, regions.inner_mouth));
    mouth_output.push_back(face::grey_spread(output_crop, regions.inner_mouth));
    eyes_target.push_back(face::grey_spread(target_crop, regions.eye_window(0)) +
                          face::grey_spread(target_crop, regions.eye_window(1)));
    eyes_output.push_back(face::grey_spread(output_crop, regions.eye_window(0)) +
                          face::grey_spread(output_crop, regions.eye_window(1)));
    if (blinking(static_cast<int>(record.frame_index))) {
      blink_difference.push_back((window_difference(target_crop, output_crop, regions.eye_window(0)) +
                                  window_difference(target_crop, output_crop, regions.eye_window(1))) /
                                 2);
    }
    models::StageTimes unused;
    const cv::Mat frame = swapped.at(static_cast<std::size_t>(record.frame_index));
    identity.push_back(face::cosine_similarity(
        models::analyse_face(media().analysers, frame, {record.bbox, record.score, std::nullopt}, unused).embedding,
        source));
  }
  return {correlation(mouth_target, mouth_output), correlation(eyes_target, eyes_output),
          std::accumulate(blink_difference.begin(), blink_difference.end(), 0.0) /
              static_cast<double>(blink_difference.size()),
          core::median_in_place(identity)};
}

TEST(Expression, TheOfflineEngineKeepsTheTargetsMouthAndEyesByAppearance) {
  test::TempDir dir;
  const TalkingClip clip;
  extract::TargetOptions target;
  target.video = dir / "talking.mkv";
  clip.write(target.video);
  target.output = dir / "target";
  target.crop_size = 256;
  ASSERT_EQ(extract::extract_target(target, media().analysers).faces, kFrames) << "a blink or an open mouth lost her";

  Fidelity fidelities[2];
  for (const bool keep : {false, true}) {
    SwapOptions options = default_swap_options();
    options.source = media().source;
    options.target = target.output;
    options.output = dir / (keep ? "kept.mkv" : "source_expression.mkv");
    options.lossless = true;
    options.warp.keep_expression = keep;
    swap_video(options);
    fidelities[keep] = fidelity(target.output, options.output);
  }
  const Fidelity& kept = fidelities[1];
  const Fidelity& without = fidelities[0];
  RecordProperty("mouth_interior_correlation",
                 std::to_string(kept.mouth) + " (without: " + std::to_string(without.mouth) + ")");
  RecordProperty("eye_interior_correlation",
                 std::to_string(kept.eyes) + " (without: " + std::to_string(without.eyes) + ")");
  RecordProperty("blink_eye_difference", std::to_string(kept.blink_difference) +
                                             " (without: " + std::to_string(without.blink_difference) + ")");
  RecordProperty("identity_to_source",
                 std::to_string(kept.identity) + " (without: " + std::to_string(without.identity) + ")");
  EXPECT_GE(kept.mouth, 0.8) << "without keeping: " << without.mouth;
  // Her blinks are hers: the output's eyes look like her shut ones, not the source's open ones.
  EXPECT_LT(kept.blink_difference, 0.5 * without.blink_difference);
  EXPECT_GE(kept.identity, without.identity - 0.02) << "the source's identity is kept";
}

}  // namespace
}  // namespace wf::swap
