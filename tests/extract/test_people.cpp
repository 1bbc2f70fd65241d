// The people of a target video with cuts: two people of sample3.jpg cut between, one of them close up where the
// other was a shot before (overlap alone would carry the track across the cut to the wrong person). The dataset
// holds the chosen person alone, in every frame they are in.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "core/json_io.h"
#include "dataset/imagefolder.h"
#include "extract/people.h"
#include "extract/target_extraction.h"
#include "media/image_io.h"
#include "support/error_code.h"
#include "support/face_media.h"
#include "support/synthetic_clip.h"
#include "support/temp_dir.h"

namespace wf::extract {
namespace {
namespace fs = std::filesystem;

models::FaceAnalysers& analysers() {
  static models::FaceAnalysers loaded = models::load_face_analysers(core::AppConfig::defaults());
  return loaded;
}

struct CutVideo {
  test::TempDir dir;
  test::CutClip clip = test::two_people_cut_clip();
  fs::path video = dir / "film.mkv";
  CutVideo() { clip.write(video); }
};

const CutVideo& cut_video() {
  static const CutVideo instance;
  return instance;
}

// Frames of `person`'s in the dataset, and how many of its faces sit on someone else (or on no one).
struct Followed {
  std::size_t frames_of_person = 0, found = 0, elsewhere = 0;
};

Followed followed(const fs::path& dataset, const std::string& person) {
  const test::CutClip& clip = cut_video().clip;
  Followed out;
  for (int frame = 0; frame < clip.frames(); ++frame) out.frames_of_person += clip.centre(frame, person) ? 1 : 0;
  for (const auto& record : dataset::read_records(dataset)) {
    const auto truth = clip.centre(static_cast<int>(record.frame_index), person);
    const cv::Point2f centre(record.bbox.x + record.bbox.width / 2, record.bbox.y + record.bbox.height / 2);
    if (truth && cv::norm(centre - *truth) < 0.25 * record.bbox.width) {
      ++out.found;
    } else {
      ++out.elsewhere;
    }
  }
  return out;
}

TEST(People, EveryCutIsFoundAndNoneInsideAShot) {
  const test::CutClip& clip = cut_video().clip;
  media::ShotCutDetector detector;
  std::vector<std::int64_t> cuts;
  std::vector<double> within;
  for (int frame = 0; frame < clip.frames(); ++frame) {
    if (detector.cut(clip.frame(frame))) cuts.push_back(frame);
    if (frame > 0 && clip.shot_of(frame) == clip.shot_of(frame - 1)) within.push_back(detector.last_change());
  }
  EXPECT_EQ(cuts, (std::vector<std::int64_t>{10, 16, 30}));
  const double most_within = *std::max_element(within.begin(), within.end());
  RecordProperty("largest_change_within_a_shot", std::to_string(most_within));
  EXPECT_LT(most_within, media::ShotCutSettings{}.threshold / 2) << "a pan and a light change are far from a cut";
}

TEST(People, TheOneOnScreenMostIsFollowedThroughCutsAndNoOneElse) {
  test::TempDir dir;
  TargetOptions options;
  options.video = cut_video().video;
  options.output = dir / "target";
  const TargetSummary summary = extract_target(options, analysers());
  EXPECT_EQ(summary.cuts, (std::vector<std::int64_t>{10, 16, 30}));
  EXPECT_EQ(summary.people, 2) << "two people, each one person through every shot they are in";
  EXPECT_EQ(summary.person, 1);
  const Followed middle = followed(options.output, "middle");
  EXPECT_EQ(middle.elsewhere, 0u) << "a face of someone else in the dataset";
  EXPECT_GE(static_cast<double>(middle.found), 0.95 * static_cast<double>(middle.frames_of_person));
  RecordProperty("frames_followed", std::to_string(middle.found) + " of " + std::to_string(middle.frames_of_person));

  const std::optional<PeopleFile> people = read_people(options.output);
  ASSERT_TRUE(people);
  ASSERT_EQ(people->people.size(), 2u);
  EXPECT_EQ(people->choice.person, 1);
  EXPECT_EQ(people->choice.chosen_by, "most_on_screen");
  EXPECT_NEAR(people->people[0].seconds, 2.4, 0.15);  // 24 frames at 10 per second
  EXPECT_NEAR(people->people[1].seconds, 2.1, 0.15);
  EXPECT_NEAR(people->people[1].first_seconds, 0.0, 1e-6);
  EXPECT_EQ(media::read_image(options.output / "people/person_2.jpg").size(), cv::Size(128, 128));
  EXPECT_EQ(dataset::read_card(options.output).video->cuts, summary.cuts);
  EXPECT_NE(test::read_text(options.output / "skipped.jsonl").find("other_person"), std::string::npos);
}

TEST(People, AnotherPersonIsChosenByNumberOrByAPhotoAndTheDatasetIsMadeAgainForThem) {
  test::TempDir dir;
  TargetOptions options;
  options.video = cut_video().video;
  options.output = dir / "target";
  extract_target(options, analysers());
  options.person = 2;
  const TargetSummary by_number = extract_target(options, analysers());
  EXPECT_EQ(by_number.person, 2);
  const Followed left = followed(options.output, "left");
  EXPECT_EQ(left.elsewhere, 0u) << "a face of the first choice kept after choosing another";
  EXPECT_GE(static_cast<double>(left.found), 0.95 * static_cast<double>(left.frames_of_person));
  RecordProperty("frames_followed", std::to_string(left.found) + " of " + std::to_string(left.frames_of_person));

  // A photo of her, cut from the group photo at full size: the reference picks her.
  const cv::Mat group = media::read_image(test::face_photos()[2].path);
  media::write_image(dir / "her.png", group(cv::Rect(500, 300, 350, 380)));
  options.person.reset();
  options.reference = dir / "her.png";
  const TargetSummary by_photo = extract_target(options, analysers());
  EXPECT_EQ(by_photo.person, 2);
  EXPECT_EQ(read_people(options.output)->choice.chosen_by, "reference");
  EXPECT_EQ(followed(options.output, "left").elsewhere, 0u);

  options.reference.reset();
  options.person = 3;
  std::string message;
  EXPECT_EQ(test::error_code([&] { extract_target(options, analysers()); }, &message), ErrorCode::invalid_input);
  EXPECT_NE(message.find("there is no person 3 in this video: 2 were found"), std::string::npos) << message;
}

}  // namespace
}  // namespace wf::extract
