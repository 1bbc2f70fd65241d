#include "dataset/imagefolder.h"

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json_io.h"
#include "core/jsonl.h"
#include "media/image_io.h"

namespace wf::dataset {
namespace {

const char* kMetadata = "metadata.jsonl";
const char* kCard = "dataset.json";

}  // namespace

nlohmann::json DatasetCard::to_json() const {
  nlohmann::json card = {{"version", version}, {"kind", kind}, {"models", models}, {"images", images}, {"masks", masks}};
  if (video) {
    card["video"] = {{"bytes", video->bytes},
                     {"width", video->width},
                     {"height", video->height},
                     {"fps", video->fps},
                     {"cuts", video->cuts}};
    core::put_path(card["video"], "path", video->path);
  }
  return card;
}

DatasetCard DatasetCard::from_json(const nlohmann::json& value) {
  try {
    DatasetCard card;
    card.version = value.at("version").get<int>();
    if (card.version > kDatasetVersion) {
      throw Error(ErrorCode::unsupported, "dataset version " + std::to_string(card.version) + " is newer than this WatserFace",
                  {}, "update WatserFace");
    }
    card.kind = value.at("kind").get<std::string>();
    card.models = value.at("models").get<std::map<std::string, std::string>>();
    card.images = value.at("images").get<std::int64_t>();
    card.masks = value.at("masks").get<std::int64_t>();
    if (value.contains("video")) {
      const auto& v = value.at("video");
      card.video = VideoReference{
          core::get_path(v, "path"), v.at("bytes").get<std::uintmax_t>(),
          v.at("width").get<int>(),  v.at("height").get<int>(),
          v.at("fps").get<double>(), v.value("cuts", std::vector<std::int64_t>{})};  // none before cuts were found
    }
    return card;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::corrupt_file, std::string("malformed dataset card: ") + e.what());
  }
}

DatasetWriter::DatasetWriter(std::filesystem::path folder, DatasetCard card)
    : folder_(std::move(folder)), card_(std::move(card)) {
  const auto metadata = folder_ / kMetadata;
  if (!std::filesystem::exists(metadata)) return;  // nothing is created before the first face (or finish)
  const auto complete = core::read_complete_lines(metadata);
  if (complete.length != std::filesystem::file_size(metadata)) {
    std::filesystem::resize_file(metadata, complete.length);  // cut a torn tail
  }
  for (const auto& record : read_records(folder_)) {
    ids_.insert(record.id);
    if (record.mask_origin) ++masks_;
  }
}

void DatasetWriter::add(const FaceRecord& record, const FaceImages& images) {
  if (record.id.empty() || record.id.find('/') != std::string::npos) {
    throw Error(ErrorCode::invalid_input, "a dataset id must be a plain file stem, not '" + record.id + "'");
  }
  if (contains(record.id)) throw Error(ErrorCode::invalid_input, "face '" + record.id + "' is already in the dataset", folder_);
  if (record.mask_origin.has_value() == images.mask.empty() || record.arcface_crop == images.arcface.empty()) {
    throw Error(ErrorCode::internal, "a record names its mask and ArcFace crop exactly when they are given");
  }
  media::write_image(folder_ / record.file_name(), images.image);
  if (!images.mask.empty()) media::write_image(folder_ / record.mask_file_name(), images.mask);
  if (!images.arcface.empty()) media::write_image(folder_ / record.arcface_file_name(), images.arcface);
  core::append_line_durably(folder_ / kMetadata, record.to_json().dump() + "\n");
  ids_.insert(record.id);
  if (record.mask_origin) ++masks_;
}

void DatasetWriter::finish() {
  if (!std::filesystem::exists(folder_ / kMetadata)) {
    core::AtomicFile empty(folder_ / kMetadata);  // an extraction that finds no face still leaves a valid dataset
    empty.commit();
  }
  card_.images = static_cast<std::int64_t>(ids_.size());
  card_.masks = masks_;
  core::write_json_file(folder_ / kCard, card_.to_json());
}

std::vector<FaceRecord> read_records(const std::filesystem::path& folder) {
  const auto path = folder / kMetadata;
  if (!std::filesystem::exists(path)) {
    throw Error(ErrorCode::not_found, "no metadata.jsonl: not a WatserFace dataset", folder, "run watserface extract first");
  }
  std::vector<FaceRecord> records;
  const auto lines = core::read_complete_lines(path).lines;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    try {
      records.push_back(FaceRecord::from_json(nlohmann::json::parse(lines[i])));
    } catch (const nlohmann::json::exception& e) {
      throw Error(ErrorCode::corrupt_file, "line " + std::to_string(i + 1) + " is not JSON: " + e.what(), path,
                  "extract again into a new folder, or delete that line");
    } catch (const Error& e) {
      throw Error(ErrorCode::corrupt_file, "line " + std::to_string(i + 1) + ": " + e.message(), path,
                  "extract again into a new folder, or delete that line");
    }
  }
  return records;
}

DatasetCard read_card(const std::filesystem::path& folder) {
  try {
    return DatasetCard::from_json(core::read_json_file(folder / kCard));
  } catch (const Error& e) {
    throw Error(e.code(), e.message(), folder / kCard, e.hint().empty() ? "extract again to rewrite it" : e.hint());
  }
}

void rewrite_records(const std::filesystem::path& folder, const std::vector<FaceRecord>& records) {
  std::string text;
  std::int64_t masks = 0;
  for (const auto& record : records) {
    text += record.to_json().dump() + "\n";
    if (record.mask_origin) ++masks;
  }
  DatasetCard card = read_card(folder);
  core::write_file_atomic(folder / kMetadata, text);
  card.images = static_cast<std::int64_t>(records.size());
  card.masks = masks;
  core::write_json_file(folder / kCard, card.to_json());
}

std::vector<std::string> validate_dataset(const std::filesystem::path& folder) {
  std::vector<std::string> problems;
  std::vector<FaceRecord> records;
  try {
    records = read_records(folder);
  } catch (const Error& e) {
    return {e.message()};
  }
  std::set<std::string> ids;
  std::int64_t masks = 0;
  for (const auto& record : records) {
    if (!ids.insert(record.id).second) problems.push_back("face '" + record.id + "' appears twice");
    auto check_image = [&](const std::string& name) {
      try {
        return media::read_image(folder / name).size();
      } catch (const Error& e) {
        problems.push_back(name + ": " + e.message());
        return cv::Size();
      }
    };
    const cv::Size image = check_image(record.file_name());
    if (record.mask_origin) {
      ++masks;
      const cv::Size mask = check_image(record.mask_file_name());
      if (!image.empty() && !mask.empty() && mask != image) {
        problems.push_back(record.mask_file_name() + ": the mask is " + std::to_string(mask.width) + "x" +
                           std::to_string(mask.height) + ", its face " + std::to_string(image.width) + "x" +
                           std::to_string(image.height));
      }
    }
    if (record.arcface_crop) check_image(record.arcface_file_name());
  }
  try {
    const DatasetCard card = read_card(folder);
    if (card.images != static_cast<std::int64_t>(records.size()) || card.masks != masks) {
      problems.push_back("dataset.json counts " + std::to_string(card.images) + " images and " +
                         std::to_string(card.masks) + " masks, metadata.jsonl has " + std::to_string(records.size()) +
                         " and " + std::to_string(masks) + " (an unfinished extraction?)");
    }
  } catch (const Error& e) {
    problems.push_back(std::string(kCard) + ": " + e.message());
  }
  return problems;
}

}  // namespace wf::dataset
