#include "extract/people.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

#include "core/error.h"
#include "core/json_io.h"
#include "face/embedder.h"
#include "media/image_io.h"

namespace wf::extract {
namespace {

constexpr char kPeopleFile[] = "people.json";
constexpr int kPeopleVersion = 1;

// Faces taken together: a track's, then a person's (the tracks joined).
struct FaceSet {
  std::vector<int> tracks;
  double presence = 0;           // the sum of the face boxes' areas
  std::vector<float> sum, mean;  // of the embeddings; the mean L2-normalised
  std::set<std::int64_t> frames;
  std::size_t largest = 0;  // the sighting with the largest face
  float largest_area = -1;
  double first_seconds = std::numeric_limits<double>::infinity();

  void add_face(const Sighting& s, std::size_t index) {
    frames.insert(s.frame);
    presence += s.face.detection.box.area();
    add_embedding(s.face.embedding);
    first_seconds = std::min(first_seconds, s.timestamp);
    take_largest(s.face.detection.box.area(), index);
  }

  void add(const FaceSet& other) {
    tracks.insert(tracks.end(), other.tracks.begin(), other.tracks.end());
    frames.insert(other.frames.begin(), other.frames.end());
    presence += other.presence;
    add_embedding(other.sum);
    first_seconds = std::min(first_seconds, other.first_seconds);
    take_largest(other.largest_area, other.largest);
  }

 private:
  void add_embedding(const std::vector<float>& v) {
    if (sum.empty()) sum.assign(v.size(), 0.f);
    for (std::size_t i = 0; i < sum.size() && i < v.size(); ++i) sum[i] += v[i];
    mean = sum;
    const float norm = std::sqrt(std::inner_product(mean.begin(), mean.end(), mean.begin(), 0.f));
    if (norm > 0) {
      for (float& x : mean) x /= norm;
    }
  }

  void take_largest(float area, std::size_t index) {
    if (area <= largest_area) return;
    largest_area = area;
    largest = index;
  }
};

bool share_a_frame(const std::set<std::int64_t>& a, const std::set<std::int64_t>& b) {
  auto i = a.begin();
  auto j = b.begin();
  while (i != a.end() && j != b.end()) {
    if (*i == *j) return true;
    *i < *j ? ++i : ++j;
  }
  return false;
}

std::string thumbnail_name(int person) {
  return "people/person_" + std::to_string(person) + ".jpg";
}

}  // namespace

std::vector<Person> group_people(const std::vector<Sighting>& sightings, float same_person, double frame_seconds) {
  std::map<int, FaceSet> tracks;
  for (std::size_t i = 0; i < sightings.size(); ++i) {
    FaceSet& track = tracks[sightings[i].track];
    if (track.tracks.empty()) track.tracks = {sightings[i].track};
    track.add_face(sightings[i], i);
  }
  std::vector<const FaceSet*> order;
  for (const auto& [id, track] : tracks) order.push_back(&track);
  // Longest tracks first: they carry the steadiest identities for shorter ones to join.
  std::stable_sort(order.begin(), order.end(),
                   [](const FaceSet* a, const FaceSet* b) { return a->frames.size() > b->frames.size(); });
  std::vector<FaceSet> groups;
  for (const FaceSet* track : order) {
    FaceSet* best = nullptr;
    float best_similarity = same_person;
    for (FaceSet& group : groups) {
      const float similarity = face::cosine_similarity(track->mean, group.mean);
      if (similarity >= best_similarity && !share_a_frame(track->frames, group.frames)) {
        best_similarity = similarity;
        best = &group;
      }
    }
    if (!best) best = &groups.emplace_back();
    best->add(*track);
  }
  std::stable_sort(groups.begin(), groups.end(),
                   [](const FaceSet& a, const FaceSet& b) { return a.presence > b.presence; });
  std::vector<Person> people;
  for (const FaceSet& group : groups) {
    Person person;
    person.id = static_cast<int>(people.size()) + 1;
    person.tracks = group.tracks;
    std::sort(person.tracks.begin(), person.tracks.end());
    person.embedding = group.mean;
    person.faces = static_cast<std::int64_t>(group.frames.size());
    person.seconds = static_cast<double>(person.faces) * frame_seconds;
    person.first_seconds = group.first_seconds;
    person.largest = group.largest;
    people.push_back(std::move(person));
  }
  return people;
}

PersonChoice choose_person(const std::vector<Person>& people, std::optional<int> person,
                           const std::optional<std::vector<float>>& reference, float min_similarity,
                           const std::filesystem::path& video) {
  if (person) {
    if (*person < 1 || *person > static_cast<int>(people.size())) {
      throw Error(ErrorCode::invalid_input,
                  "there is no person " + std::to_string(*person) + " in this video: " + std::to_string(people.size()) +
                      " were found",
                  video, "choose a person from 1 to " + std::to_string(people.size()) + " (1 is on screen most)");
    }
    return {*person, "person", 0};
  }
  if (reference) {
    PersonChoice choice{0, "reference", -1};
    for (const Person& p : people) {
      const float similarity = face::cosine_similarity(p.embedding, *reference);
      if (similarity > choice.similarity) choice = {p.id, "reference", similarity};
    }
    if (choice.similarity < min_similarity) {
      throw Error(ErrorCode::invalid_input,
                  "the reference photo's face is like none of the " + std::to_string(people.size()) +
                      " people found in the video (the closest: " + std::to_string(choice.similarity) + ")",
                  video, "give a clearer photo of the person, or choose them by number");
    }
    return choice;
  }
  return {1, "most_on_screen", 0};
}

void write_people(const std::filesystem::path& dataset, const PeopleFile& file,
                  const std::vector<cv::Mat>& thumbnails) {
  nlohmann::json people = nlohmann::json::array();
  for (std::size_t i = 0; i < file.people.size(); ++i) {
    const Person& p = file.people[i];
    if (i < thumbnails.size() && !thumbnails[i].empty())
      media::write_image(dataset / thumbnail_name(p.id), thumbnails[i]);
    people.push_back({{"person", p.id},
                      {"faces", p.faces},
                      {"seconds", p.seconds},
                      {"first_seconds", p.first_seconds},
                      {"tracks", p.tracks.size()},
                      {"thumbnail", thumbnail_name(p.id)}});
  }
  core::write_json_file(dataset / kPeopleFile, {{"version", kPeopleVersion},
                                                {"people", people},
                                                {"chosen", file.choice.person},
                                                {"chosen_by", file.choice.chosen_by},
                                                {"similarity", file.choice.similarity}});
}

std::optional<PeopleFile> read_people(const std::filesystem::path& dataset) {
  const std::filesystem::path path = dataset / kPeopleFile;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  const nlohmann::json value = core::read_json_file(path);
  try {
    PeopleFile file;
    for (const auto& p : value.at("people")) {
      Person person;
      person.id = p.at("person").get<int>();
      person.faces = p.at("faces").get<std::int64_t>();
      person.seconds = p.at("seconds").get<double>();
      person.first_seconds = p.at("first_seconds").get<double>();
      file.people.push_back(std::move(person));
    }
    file.choice = {value.at("chosen").get<int>(), value.at("chosen_by").get<std::string>(),
                   value.at("similarity").get<float>()};
    return file;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::corrupt_file, std::string("malformed people file: ") + e.what(), path,
                "extract the target again");
  }
}

}  // namespace wf::extract
