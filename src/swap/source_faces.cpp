#include "swap/source_faces.h"

#include <cmath>

#include "core/error.h"
#include "dataset/imagefolder.h"
#include "media/image_io.h"

namespace wf::swap {

SourceFaces load_source_faces(const std::filesystem::path& dataset) {
  const dataset::DatasetCard card = dataset::read_card(dataset);
  if (card.kind != "source") {
    throw Error(ErrorCode::invalid_input,
                "this is a " + card.kind + " dataset; the swap takes the face from the source", dataset,
                "give the dataset of watserface extract --source");
  }
  SourceFaces out;
  std::vector<double> sum;
  for (const auto& record : dataset::read_records(dataset)) {
    if (record.landmarks_68.size() != 68) {
      throw Error(ErrorCode::invalid_input, "source face " + record.id + " has no 68-point landmarks", dataset,
                  "extract the source again");
    }
    out.faces.push_back(
        {record.id, media::read_image(dataset / record.file_name()), record.landmarks_68, record.landmarks_478});
    if (record.embedding.empty()) continue;
    if (sum.empty()) sum.assign(record.embedding.size(), 0.0);
    if (record.embedding.size() != sum.size()) {
      throw Error(ErrorCode::invalid_input, "source face " + record.id + " has an embedding of another width", dataset,
                  "extract the whole source with one embedder");
    }
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += record.embedding[i];
  }
  if (out.faces.empty()) {
    throw Error(ErrorCode::invalid_input, "the source dataset has no faces", dataset,
                "extract the source photos or clip again");
  }
  double norm = 0;
  for (const double v : sum) norm += v * v;
  norm = std::sqrt(norm);
  for (const double v : sum) out.mean_embedding.push_back(static_cast<float>(norm > 0 ? v / norm : 0));
  return out;
}

}  // namespace wf::swap
