#pragma once
// Face datasets on disk in Hugging Face's imagefolder layout, so `datasets.load_dataset("imagefolder",
// data_dir=...)` opens them: images/<id>.png, masks/<id>.png, metadata.jsonl (one FaceRecord per line) and a
// dataset.json card. Every file is written atomically and a metadata line is appended only after its
// image (and mask) are on disk, so an interrupted extraction resumes where it stopped.

#include <filesystem>
#include <map>
#include <optional>
#include <nlohmann/json_fwd.hpp>
#include <opencv2/core/mat.hpp>
#include <set>
#include <string>
#include <vector>

#include "dataset/face_record.h"

namespace wf::dataset {

inline constexpr int kDatasetVersion = 1;

// Where a target dataset's faces sit: the video, decoded in order, gives frame `frame_index` of every record.
struct VideoReference {
  std::filesystem::path path;  // absolute
  std::uintmax_t bytes = 0;    // to notice a different file at the same path
  int width = 0, height = 0;
  double fps = 0;
  std::vector<std::int64_t> cuts;  // frames that start a new shot: what follows a face over time starts again there
};

struct DatasetCard {
  int version = kDatasetVersion;
  std::string kind;                           // "source" or "target"
  std::map<std::string, std::string> models;  // role -> backend used
  std::int64_t images = 0;
  std::int64_t masks = 0;
  std::optional<VideoReference> video;        // target datasets

  nlohmann::json to_json() const;
  static DatasetCard from_json(const nlohmann::json& value);
};

struct FaceImages {
  cv::Mat image;    // images/<id>.png
  cv::Mat mask;     // masks/<id>.png, 8-bit
  cv::Mat arcface;  // arcface/<id>.png
};

class DatasetWriter {
 public:
  // Opens the dataset folder, creating nothing until the first face is added (or finish): a refused run leaves
  // no folder. The records already in metadata.jsonl are kept, and a torn last line left by a crash is cut off.
  DatasetWriter(std::filesystem::path folder, DatasetCard card);

  bool contains(const std::string& id) const { return ids_.count(id) > 0; }
  std::size_t size() const { return ids_.size(); }

  // Writes the face image (and the mask when the record has a mask origin, the ArcFace crop when it says it
  // has one), then its metadata line.
  void add(const FaceRecord& record, const FaceImages& images);
  // Writes dataset.json with the final counts (and an empty metadata.jsonl when no face was added).
  void finish();

 private:
  std::filesystem::path folder_;
  DatasetCard card_;
  std::set<std::string> ids_;
  std::int64_t masks_ = 0;
};

// The records of metadata.jsonl in file order; a torn last line is ignored. Throws corrupt_file naming the line.
std::vector<FaceRecord> read_records(const std::filesystem::path& folder);
DatasetCard read_card(const std::filesystem::path& folder);

// Replaces metadata.jsonl with `records` in one atomic write (after their files were written) and updates
// dataset.json's counts: how a later step (XSeg masks, painted corrections) changes records in place.
void rewrite_records(const std::filesystem::path& folder, const std::vector<FaceRecord>& records);

// Everything wrong with a dataset, one line each (empty when it is valid): unreadable metadata lines,
// duplicate ids, missing or unreadable images and masks, masks of another size than their face, inconsistent counts
// in dataset.json.
std::vector<std::string> validate_dataset(const std::filesystem::path& folder);

}  // namespace wf::dataset
