#include "train/trainers/identity/identity_data.h"

namespace wf::identity {

IdentityData::IdentityData(const std::filesystem::path& folder, int resolution, face::ControlImage control)
    : FaceTrainingData(folder, {.kind = "source",
                                .purpose = "identity training learns the source face",
                                .fix = "give the dataset of watserface extract --source",
                                .resolution = resolution,
                                .control = control,
                                .embeddings = true}) {}

}  // namespace wf::identity
