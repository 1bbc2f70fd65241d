#pragma once
// An upload of photos or videos into a project, streamed to disk as it arrives: each file goes to a hidden
// temporary name in the folder, is refused past the size limit (the rest of the body is read and dropped, so
// the browser gets the answer instead of a reset connection), is checked to decode as what its name says (a
// photo OpenCV reads, a video with a first frame), and only then takes its place under its cleaned-up name.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace wf::server {

enum class UploadKind { source, target };  // source: photos and videos; target: one video or photo

class UploadReceiver {
 public:
  UploadReceiver(std::filesystem::path folder, UploadKind kind, std::uint64_t max_bytes);
  ~UploadReceiver();  // removes what did not take its place
  UploadReceiver(const UploadReceiver&) = delete;
  UploadReceiver& operator=(const UploadReceiver&) = delete;

  bool begin(const std::string& field, const std::string& filename);  // a multipart part starts
  bool write(const char* data, std::size_t size);                     // false: stop reading the body
  // Checks what arrived (`complete`: the body was read to its end) and moves it into place, after
  // `before_replacing` (a last check that may throw); the names written. Throws the first problem as wf::Error
  // (invalid_input: too large, a photo of more pixels than max_image_megapixels, cut short, no file, two of one
  // name; unsupported: not a photo or video) naming the file.
  std::vector<std::string> finish(bool complete, const std::function<void()>& before_replacing = {});

  // "My Photo (1).JPG" -> "My_Photo__1_.jpg": letters, digits, '-', '_' and '.', not starting with '.'.
  static std::string clean_name(const std::string& filename);

 private:
  struct Part {
    std::string name;  // cleaned
    std::filesystem::path partial;
    std::uint64_t bytes = 0;
  };
  void close_part();
  void fail(Error error);

  std::filesystem::path folder_;
  UploadKind kind_;
  std::uint64_t max_bytes_;
  std::vector<Part> parts_;
  std::ofstream out_;
  bool writing_ = false;  // the current part is a file being written
  std::uint64_t dropped_ = 0;
  std::optional<Error> error_;
};

}  // namespace wf::server
