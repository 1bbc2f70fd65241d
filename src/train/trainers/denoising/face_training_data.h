#pragma once
// A face dataset as the diffusion trainers read it (identity on the source, LoRA on the target): each face's crop
// at the training resolution, optionally the control image its IdentityNet is conditioned on, its identity
// embedding and its caption. Everything is checked before a model loads, so a bad dataset fails in seconds with
// the face and the fix named.

#include <ATen/core/Tensor.h>

#include <array>
#include <filesystem>
#include <opencv2/core/types.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "face/control_image.h"

namespace wf::denoising {

struct FaceDataRequest {
  std::string kind{};     // the dataset kind the phase learns from: "source" or "target"
  std::string purpose{};  // completes "this is a <kind> dataset; ...", e.g. "identity training learns the source face"
  std::string fix{};      // how to get the right dataset
  int resolution = 512;
  std::optional<face::ControlImage> control{};  // draw each face's control image
  bool embeddings = false;                // every face must have an embedding (all of one width)
};

class FaceTrainingData {
 public:
  // Throws wf::Error naming `folder`: not a dataset, a dataset of the other kind, no faces, a face without an
  // embedding, embeddings of different widths, a face without 478 landmarks for the mesh control, an unreadable
  // image.
  FaceTrainingData(const std::filesystem::path& folder, const FaceDataRequest& request);
  // Faces already in memory (benchmarks, tools): images in [-1, 1], controls in [0, 1], one embedding each.
  FaceTrainingData(std::vector<std::string> ids, at::Tensor images, at::Tensor controls, at::Tensor embeddings,
                   std::vector<std::string> captions = {});

  std::size_t size() const { return ids_.size(); }
  int64_t embedding_dim() const { return embeddings_.defined() ? embeddings_.size(1) : 0; }
  const std::vector<std::string>& ids() const { return ids_; }
  const at::Tensor& images() const { return images_; }          // [N, 3, R, R] RGB in [-1, 1]
  const at::Tensor& controls() const { return controls_; }      // [N, 3, R, R] RGB drawings in [0, 1], or undefined
  const at::Tensor& embeddings() const { return embeddings_; }  // [N, D], or undefined when none was asked for
  const std::vector<std::string>& captions() const { return captions_; }  // the dataset's `text`, "" where none

 private:
  std::vector<std::string> ids_, captions_;
  at::Tensor images_, controls_, embeddings_;
};

}  // namespace wf::denoising
