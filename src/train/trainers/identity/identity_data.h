#pragma once
// A source dataset as the identity trainer reads it: each face's crop at the training resolution, the
// keypoint control image drawn from its five keypoints, and its identity embedding. Everything is checked
// before training starts, so a bad dataset fails in seconds with the face and the fix named.

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace wf::identity {

// What the IdentityNet is conditioned on: InstantID's five keypoints, or the 478-point mesh's contours.
enum class ControlImage { keypoints_5, face_mesh };
std::string_view to_string(ControlImage control);
ControlImage parse_control_image(std::string_view text);  // "keypoints_5" | "face_mesh"; else invalid_input

class IdentityData {
 public:
  // Throws wf::Error naming `folder`: not a dataset, not a source dataset, no faces, a face without an
  // embedding, embeddings of different widths, a face without 478 landmarks for the mesh control, an
  // unreadable image.
  IdentityData(const std::filesystem::path& folder, int resolution, ControlImage control = ControlImage::keypoints_5);
  // Faces already in memory (benchmarks, tools): images in [-1, 1], controls in [0, 1], one embedding each.
  IdentityData(std::vector<std::string> ids, at::Tensor images, at::Tensor controls, at::Tensor embeddings);

  std::size_t size() const { return ids_.size(); }
  int64_t embedding_dim() const { return embeddings_.size(1); }
  const std::vector<std::string>& ids() const { return ids_; }
  const at::Tensor& images() const { return images_; }          // [N, 3, R, R] RGB in [-1, 1]
  const at::Tensor& controls() const { return controls_; }      // [N, 3, R, R] RGB keypoint drawings in [0, 1]
  const at::Tensor& embeddings() const { return embeddings_; }  // [N, D]

 private:
  std::vector<std::string> ids_;
  at::Tensor images_, controls_, embeddings_;
};

}  // namespace wf::identity
