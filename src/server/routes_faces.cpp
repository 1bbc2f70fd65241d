// Corrections to the faces extraction found: drop a bad source face (the identity is made again without it), and
// save a mask painted over a target face (XSeg trains on it next time). Only while no job of the project runs.

#include <httplib.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "dataset/painted_mask.h"
#include "extract/source_identity.h"
#include "media/image_io.h"
#include "routes.h"
#include "server/api.h"
#include "server/project_summary.h"

namespace wf::server {
void add_face_routes(httplib::Server& server, const ServerContext& context) {
  server.Delete(R"(/api/v1/projects/([^/]+)/faces/source/([^/]+))",
                [&context](const httplib::Request& request, httplib::Response& response) {
                  EditableProject project(context, request);
                  extract::drop_source_faces(project.paths.source_dataset(), {request.matches[2]});
                  send_json(response, project_summary(project.name, project.paths, project.store));
                });

  // The body is the mask as an image (PNG from the painter's canvas); white is face. Its size was bounded before it
  // was read (request_edge's kMaxImageBodyBytes).
  server.Put(R"(/api/v1/projects/([^/]+)/faces/target/([^/]+)/mask)",
             [&context](const httplib::Request& request, httplib::Response& response) {
               EditableProject project(context, request);
               std::istringstream header(request.body);
               const bool known = media::check_image_pixels(header, "the painted mask");  // before any decoding
               const std::vector<uchar> bytes(request.body.begin(), request.body.end());
               cv::Mat mask = known ? cv::imdecode(bytes, cv::IMREAD_GRAYSCALE) : cv::Mat();
               if (mask.empty()) {
                 throw Error(ErrorCode::unsupported, "the painted mask is not an image", {}, "send it as a PNG");
               }
               cv::threshold(mask, mask, 127, 255, cv::THRESH_BINARY);
               dataset::save_painted_mask(project.paths.target_dataset(), request.matches[2], mask);
               send_json(response, project_summary(project.name, project.paths, project.store));
             });
}

}  // namespace wf::server
