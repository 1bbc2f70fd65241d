// A project's files (face crops, thumbnails, samples, videos, reports) by their path under the project, with
// range requests so a video seeks; nothing outside the project folder is reachable.

#include <httplib.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>

#include "media/image_io.h"
#include "routes.h"
#include "server/api.h"

namespace wf::server {
namespace fs = std::filesystem;
namespace {

std::string content_type(const fs::path& file) {
  static const std::map<std::string, std::string> types = {{".png", "image/png"},
                                                           {".jpg", "image/jpeg"},
                                                           {".jpeg", "image/jpeg"},
                                                           {".webp", "image/webp"},
                                                           {".bmp", "image/bmp"},
                                                           {".mp4", "video/mp4"},
                                                           {".m4v", "video/mp4"},
                                                           {".mov", "video/quicktime"},
                                                           {".mkv", "video/x-matroska"},
                                                           {".webm", "video/webm"},
                                                           {".avi", "video/x-msvideo"},
                                                           {".json", "application/json"},
                                                           {".jsonl", "application/x-ndjson"},
                                                           {".safetensors", "application/octet-stream"}};
  const auto it = types.find(media::lowercase_extension(file));
  return it == types.end() ? "application/octet-stream" : it->second;
}

// `relative` resolved under the project root; wf::Error(not_found) for anything else (.., links out, absent).
fs::path confined(const fs::path& root, const std::string& relative) {
  std::error_code ec;
  const fs::path base = fs::canonical(root, ec);
  const fs::path file = fs::weakly_canonical(root / relative, ec);
  const auto [end, _] = std::mismatch(base.begin(), base.end(), file.begin(), file.end());
  if (ec || end != base.end() || !fs::is_regular_file(file, ec)) {
    throw Error(ErrorCode::not_found, "the project has no file '" + relative + "'", {}, "");
  }
  return file;
}

// What a downloaded file is saved as: the project's own name for its final video ("my-first-swap.mp4"), else the
// project's name before the file's, so downloads of several projects do not overwrite one another.
std::string download_name(const std::string& project, const fs::path& file) {
  if (file.parent_path().filename() == "outputs" && file.stem() == "final") return project + file.extension().string();
  return project + "_" + file.filename().string();
}

// A Range none of whose parts starts inside the file (RFC 9110 15.5.17): `bytes=<size>-`, or a suffix of 0 bytes.
bool unsatisfiable(const httplib::Ranges& ranges, std::uint64_t size) {
  if (ranges.empty()) return false;
  return std::all_of(ranges.begin(), ranges.end(), [size](const httplib::Range& range) {
    const auto [first, last] = range;
    if (first < 0) return last <= 0 || size == 0;  // the last `last` bytes
    return static_cast<std::uint64_t>(first) >= size || (last >= 0 && last < first);
  });
}

}  // namespace

void add_file_routes(httplib::Server& server, const ServerContext& context) {
  server.Get(R"(/api/v1/projects/([^/]+)/files/(.+))", [&context](const httplib::Request& request,
                                                                  httplib::Response& response) {
    const std::string project = request.matches[1];
    const fs::path file = confined(context.project(project).root, request.matches[2]);
    const std::uint64_t size = fs::file_size(file);
    if (unsatisfiable(request.ranges, size)) {
      response.set_header("Content-Range", "bytes */" + std::to_string(size));
      send_error(response, 416, "invalid_input",
                 "the range asked for starts past the end of '" + request.matches[2].str() + "' (" +
                     std::to_string(size) + " bytes)",
                 "ask for bytes below " + std::to_string(size));
      return;
    }
    if (request.has_param("download")) {
      response.set_header("Content-Disposition", "attachment; filename=\"" + download_name(project, file) + "\"");
    }
    response.set_header("Cache-Control", "no-cache");
    auto in = std::make_shared<std::ifstream>(file, std::ios::binary);
    response.set_content_provider(size, content_type(file),
                                  [in](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                                    std::vector<char> buffer(std::min<std::size_t>(length, 1 << 20));
                                    in->seekg(static_cast<std::streamoff>(offset));
                                    in->read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
                                    const auto got = static_cast<std::size_t>(in->gcount());
                                    return got > 0 && sink.write(buffer.data(), got);
                                  });
  });
}

}  // namespace wf::server
