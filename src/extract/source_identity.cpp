#include "extract/source_identity.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "core/error.h"
#include "core/json_io.h"
#include "dataset/imagefolder.h"
#include "extract/face_frames.h"
#include "face/embedder.h"

namespace wf::extract {
namespace fs = std::filesystem;
namespace {

std::vector<float> normalised_mean(const std::vector<const std::vector<float>*>& vectors) {
  std::vector<float> mean(vectors.front()->size(), 0.f);
  for (const auto* v : vectors) {
    for (std::size_t i = 0; i < mean.size(); ++i) mean[i] += (*v)[i];
  }
  const float norm = std::sqrt(std::inner_product(mean.begin(), mean.end(), mean.begin(), 0.f));
  for (auto& value : mean) value /= std::max(norm, 1e-12f);
  return mean;
}

}  // namespace

SourceIdentity write_source_identity(const fs::path& folder, const std::string& embedder, float outlier_similarity) {
  const auto records = dataset::read_records(folder);
  SourceIdentity identity;
  if (records.empty()) return identity;
  std::vector<const std::vector<float>*> all, kept;
  for (const auto& r : records) {
    if (r.embedding.empty() || r.embedding.size() != records.front().embedding.size()) {
      throw Error(
          ErrorCode::corrupt_file,
          "face " + r.id + " has an embedding of " + std::to_string(r.embedding.size()) + " values, unlike the others",
          folder / "metadata.jsonl", "extract the source again into a new folder");
    }
    all.push_back(&r.embedding);
  }
  const auto first_mean = normalised_mean(all);
  for (const auto& r : records) {
    if (face::cosine_similarity(r.embedding, first_mean) < outlier_similarity) {
      identity.outliers.push_back(r.id);
    } else {
      kept.push_back(&r.embedding);
    }
  }
  identity.embedding = normalised_mean(kept.empty() ? all : kept);
  identity.faces = static_cast<int>(kept.empty() ? all.size() : kept.size());
  core::write_json_file(folder / "identity.json", {{"embedding", identity.embedding},
                                                   {"embedder", embedder},
                                                   {"faces", identity.faces},
                                                   {"outliers", identity.outliers}});
  return identity;
}

void drop_source_faces(const fs::path& folder, const std::vector<std::string>& ids, float outlier_similarity) {
  std::error_code ec;
  if (!fs::is_regular_file(folder / "identity.json", ec)) {
    throw Error(ErrorCode::invalid_input, "the source faces are still being extracted", folder,
                "wait for the extraction to finish");
  }
  const std::string embedder = core::read_json_file(folder / "identity.json").at("embedder").get<std::string>();
  const auto records = dataset::read_records(folder);
  const std::set<std::string> dropped(ids.begin(), ids.end());
  for (const auto& id : dropped) {
    if (std::none_of(records.begin(), records.end(), [&](const auto& r) { return r.id == id; })) {
      throw Error(ErrorCode::not_found, "the source dataset has no face '" + id + "'", folder, "");
    }
  }
  std::vector<dataset::FaceRecord> kept;
  std::copy_if(records.begin(), records.end(), std::back_inserter(kept),
               [&](const auto& r) { return !dropped.count(r.id); });
  if (kept.empty()) {
    throw Error(ErrorCode::invalid_input, "a source dataset needs at least one face", folder,
                "add better photos before dropping the last face");
  }
  dataset::rewrite_records(folder, kept);  // first: a crash after it leaves only unreferenced files
  SkipList skipped(folder);
  for (const auto& record : records) {
    if (!dropped.count(record.id)) continue;
    skipped.add(record.id, "dropped");
    for (const auto& file : {record.file_name(), record.mask_file_name(), record.arcface_file_name()}) {
      fs::remove(folder / file, ec);
    }
  }
  write_source_identity(folder, embedder, outlier_similarity);
}

}  // namespace wf::extract
