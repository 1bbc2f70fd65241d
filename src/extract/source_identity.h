#pragma once
// A source dataset's identity.json — the person's mean embedding, from the faces that look like the rest — and
// the faces a user drops from the dataset (a bad crop, another person), after which the identity is made again.

#include <filesystem>
#include <string>
#include <vector>

namespace wf::extract {

struct SourceIdentity {
  std::vector<float> embedding;       // L2-normalised mean of the kept faces
  std::vector<std::string> outliers;  // ids less similar than the threshold to the mean of all faces
  int faces = 0;                      // faces in the mean
};

// Writes identity.json from the dataset's records (nothing when it has none). Faces less than
// `outlier_similarity` like the mean of all are outliers, left out of the mean (unless every face is one).
SourceIdentity write_source_identity(const std::filesystem::path& folder, const std::string& embedder,
                                     float outlier_similarity);

// Removes the faces `ids` (records and files), lists them in skipped.jsonl as "dropped" so a resumed extraction
// leaves them out, and writes identity.json again with the embedder it names. Throws wf::Error: not_found for an
// id the dataset lacks, invalid_input for an unfinished extraction or when no face would be left.
void drop_source_faces(const std::filesystem::path& folder, const std::vector<std::string>& ids,
                       float outlier_similarity = 0.5f);

}  // namespace wf::extract
