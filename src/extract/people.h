#pragma once
// The people in a target video: every face of every frame, tracked within each shot (a track never crosses a
// cut), and the tracks grouped into people by identity (two faces in one frame are never one person). They are
// numbered by how much they are on screen: time weighted by face size, so the lead of a film, or the face the
// camera is on in a group shot, is person 1. The user picks whom to replace (default: person 1); the target dataset
// then holds that person alone.
// people.json in the dataset folder keeps the result (docs/formats/people.md).

#include <cstdint>
#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <opencv2/core/mat.hpp>
#include <optional>
#include <string>
#include <vector>

#include "models/face_analysers.h"

namespace wf::extract {

// One face found in one frame.
struct Sighting {
  std::int64_t frame = 0;
  double timestamp = 0;
  int track = 0;  // the tracker's id: one face followed through consecutive frames of one shot
  models::AnalysedFace face;
};

struct Person {
  int id = 0;  // 1, 2, ... by time on screen weighted by face size, most first
  std::vector<int> tracks;
  std::vector<float> embedding;  // the mean of its faces', L2-normalised
  std::int64_t faces = 0;        // frames it is seen in
  double seconds = 0;            // time on screen
  double first_seconds = 0;      // when it is first seen
  std::size_t largest = 0;       // the sighting with its largest face (its thumbnail)
};

// Tracks joined into one person while their mean embeddings are at least `same_person` alike by cosine and they
// never share a frame. `frame_seconds` is one frame's duration (the sampling step).
std::vector<Person> group_people(const std::vector<Sighting>& sightings, float same_person, double frame_seconds);

// Whom to replace: `person` (1-based) when given, else the person most like `reference` (an embedding), else
// person 1. Throws wf::Error(invalid_input) naming `video` for a number that is not a person found and
// for a reference like none of them (below `min_similarity`).
struct PersonChoice {
  int person = 0;
  std::string chosen_by;  // "person", "reference" or "most_on_screen"
  float similarity = 0;   // to the reference, when it chose
};
PersonChoice choose_person(const std::vector<Person>& people, std::optional<int> person,
                           const std::optional<std::vector<float>>& reference, float min_similarity,
                           const std::filesystem::path& video);

// people.json: the people (thumbnails written beside it as people/person_N.jpg from `thumbnails`, one per person)
// and the choice. The shots' first frames are in dataset.json's video reference (dataset/imagefolder.h).
struct PeopleFile {
  std::vector<Person> people;
  PersonChoice choice;
};
void write_people(const std::filesystem::path& dataset, const PeopleFile& file, const std::vector<cv::Mat>& thumbnails);
// What write_people wrote (people without their tracks and embeddings); nullopt when there is no people.json.
std::optional<PeopleFile> read_people(const std::filesystem::path& dataset);

}  // namespace wf::extract
