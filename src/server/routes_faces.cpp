// Corrections to the faces extraction found: drop a bad source face (the identity is made again without it), and
// save a mask painted over a target face (XSeg trains on it next time). Only while no job of the project runs.

#include <httplib.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "dataset/painted_mask.h"
#include "extract/source_identity.h"
#include "routes.h"
#include "server/api.h"
#include "server/project_summary.h"

namespace wf::server {
namespace {

constexpr std::size_t kMostMaskBytes = 16u << 20;

}  // namespace

void add_face_routes(httplib::Server& server, const ServerContext& context) {
  server.Delete(R"(/api/v1/projects/([^/]+)/faces/source/([^/]+))",
                [&context](const httplib::Request& request, httplib::Response& response) {
                  EditableProject project(context, request);
                  extract::drop_source_faces(project.paths.source_dataset(), {request.matches[2]});
                  send_json(response, project_summary(project.name, project.paths, project.store));
                });

  // The body is the mask as an image (PNG from the painter's canvas); white is face.
  server.Put(R"(/api/v1/projects/([^/]+)/faces/target/([^/]+)/mask)",
             [&context](const httplib::Request& request, httplib::Response& response) {
               EditableProject project(context, request);
               if (request.body.size() > kMostMaskBytes) {
                 throw Error(ErrorCode::invalid_input, "the painted mask is larger than 16 MiB", {}, "send a PNG");
               }
               const std::vector<uchar> bytes(request.body.begin(), request.body.end());
               cv::Mat mask = cv::imdecode(bytes, cv::IMREAD_GRAYSCALE);
               if (mask.empty()) {
                 throw Error(ErrorCode::unsupported, "the painted mask is not an image", {}, "send it as a PNG");
               }
               cv::threshold(mask, mask, 127, 255, cv::THRESH_BINARY);
               dataset::save_painted_mask(project.paths.target_dataset(), request.matches[2], mask);
               send_json(response, project_summary(project.name, project.paths, project.store));
             });
}

}  // namespace wf::server
