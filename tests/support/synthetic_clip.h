#pragma once
// A target video made from a real photo, with known truth: the camera pans left at a constant speed, the
// light dims a little every frame, and a grey card may hide one region for a run of frames.

#include <filesystem>
#include <map>
#include <opencv2/core/mat.hpp>
#include <optional>
#include <string>
#include <vector>

namespace wf::test {

struct PanningClip {
  std::filesystem::path photo;
  double scale = 0.5;       // the photo is resized by this first
  cv::Rect crop;            // then cut to this (empty: the whole photo)
  int frames = 20;
  int pan = 4;              // pixels per frame, to the left
  double fps = 10;
  cv::Rect2f hidden_region;  // in frame 0's pixels, moving with the pan
  int hidden_from = -1, hidden_to = -1;  // frames the card covers it (inclusive)

  // A dark bar (a microphone, a finger) sliding across the frame: its top-left corner in frame 0's
  // pixels at frame `bar_from`, moving `bar_velocity` pixels per frame on top of the pan, until `bar_to`.
  cv::Size2f bar_size;
  cv::Point2f bar_start, bar_velocity;
  int bar_from = -1, bar_to = -1;

  bool hidden(int frame) const { return frame >= hidden_from && frame <= hidden_to; }
  // 255 where the bar covers frame `frame` (empty mask when it is not on screen).
  cv::Mat bar_mask(int frame) const;
  // Where a point of frame 0 is in frame `frame`.
  cv::Point2f moved(cv::Point2f p, int frame) const { return p - cv::Point2f(float(pan * frame), 0.f); }
  cv::Mat frame(int index) const;
  // Writes the clip losslessly (FFV1 in Matroska) so the frames decode exactly as frame() makes them.
  void write(const std::filesystem::path& path) const;

 private:
  cv::Mat scene() const;  // the photo, scaled and cropped: frame 0 before light and occluders
  cv::Mat render(const cv::Mat& scene, int index) const;
  cv::Mat bar_mask(int frame, cv::Size size) const;
};

// The packaged group photo sample3.jpg at half size, panning for `frames` frames.
PanningClip group_photo_clip(int frames);

// Shots one after another in one video, as a film cuts between them: each a panning clip of the same frame size
// (its light and pan start again at the cut), with the people it shows.
struct CutClip {
  struct Shot {
    PanningClip clip;
    std::map<std::string, cv::Point2f> faces;  // who is on screen: their face centre in the shot's frame 0
  };
  std::vector<Shot> shots;
  double fps = 10;

  int frames() const;
  int first_frame(std::size_t shot) const;
  std::size_t shot_of(int frame) const;
  cv::Mat frame(int index) const;
  // Where `person`'s face centre is at `frame` (it moves with the pan); nullopt when they are not on screen.
  std::optional<cv::Point2f> centre(int frame, const std::string& person) const;
  void write(const std::filesystem::path& path) const;  // FFV1 in Matroska: frames decode exactly
};

// Two people of sample3.jpg, "middle" (the woman in the middle) and "left", cut between: a two-shot of both, a
// close-up of "left" with her face where "middle"'s was (so overlap alone would follow the wrong person across the
// cut), a close-up of "middle", "left" again. "middle" is on screen longest (24 frames of 35; "left" 21).
CutClip two_people_cut_clip();

}  // namespace wf::test
