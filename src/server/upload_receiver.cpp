#include "server/upload_receiver.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>

#include "media/image_io.h"
#include "media/video_reader.h"

namespace wf::server {
namespace fs = std::filesystem;
namespace {

constexpr std::array kVideoExtensions = {".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi"};
std::atomic<std::uint64_t> uploads_started{0};
constexpr const char* kWhatToUpload = "upload JPEG, PNG or WebP photos, or MP4, MOV, MKV or WebM videos";

bool is_video_name(const fs::path& name) {
  const std::string extension = media::lowercase_extension(name);
  return std::find(kVideoExtensions.begin(), kVideoExtensions.end(), extension) != kVideoExtensions.end();
}

// Whether the file decodes as what its name says.
bool decodes(const fs::path& file, const fs::path& name) {
  try {
    if (media::is_image_file(name)) return !media::read_image(file).empty();
    media::VideoReader reader(file);
    return reader.next().has_value();
  } catch (const std::exception&) {  // wf::Error, and what OpenCV throws on a damaged file
    return false;
  }
}

}  // namespace

UploadReceiver::UploadReceiver(fs::path folder, UploadKind kind, std::uint64_t max_bytes)
    : folder_(std::move(folder)), kind_(kind), max_bytes_(max_bytes) {
  fs::create_directories(folder_);
}

UploadReceiver::~UploadReceiver() {
  out_.close();
  std::error_code ec;
  for (const auto& part : parts_) fs::remove(part.partial, ec);
}

std::string UploadReceiver::clean_name(const std::string& filename) {
  std::string name = fs::path(filename).filename().string();
  if (name.size() > 100) name = name.substr(name.size() - 100);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  }
  while (!name.empty() && name.front() == '.') name.erase(0, 1);
  const std::string extension = media::lowercase_extension(name);
  return name.substr(0, name.size() - extension.size()) + extension;
}

void UploadReceiver::fail(Error error) {
  if (!error_) error_ = std::move(error);
  writing_ = false;
  out_.close();
}

bool UploadReceiver::begin(const std::string& field, const std::string& filename) {
  close_part();
  if (field != "files" || error_) return true;  // other fields, and parts after a refusal, are read and dropped
  const std::string name = clean_name(filename);
  if (name.empty() || (!media::is_image_file(name) && !is_video_name(name))) {
    fail(Error(ErrorCode::unsupported, "'" + filename + "' is not a photo or a video", {}, kWhatToUpload));
    return true;
  }
  if (kind_ == UploadKind::target && !parts_.empty()) {
    fail(Error(ErrorCode::invalid_input, "a project has one target; '" + filename + "' is a second", {},
               "upload the one video whose face you want to replace"));
    return true;
  }
  // Faces are named after their file's stem (me.jpg gives me_000000), so two sources may not share one.
  const std::string stem = fs::path(name).stem().string();
  auto same_stem = [&](const std::string& other) { return other != name && fs::path(other).stem() == stem; };
  std::string taken;
  std::error_code ec;
  for (const auto& part : parts_) {
    if (part.name == name || (kind_ == UploadKind::source && same_stem(part.name))) taken = part.name;
  }
  for (const auto& entry : fs::directory_iterator(folder_, ec)) {
    const std::string other = entry.path().filename().string();
    if (kind_ == UploadKind::source && other.front() != '.' && same_stem(other)) taken = other;
  }
  if (!taken.empty()) {
    fail(Error(ErrorCode::invalid_input, "'" + name + "' would share its name with '" + taken + "'", {},
               "rename one of them (faces are named after their file)"));
    return true;
  }
  // A name of its own for each upload in flight (two tabs may send the same file at once).
  const std::string partial = ".upload-" + std::to_string(::getpid()) + "-" + std::to_string(++uploads_started) + "-";
  Part part{name, folder_ / (partial + name), 0};
  out_.open(part.partial, std::ios::binary | std::ios::trunc);
  if (!out_) {
    fail(Error(ErrorCode::disk_full, "cannot write the upload", part.partial, "check the workspace's disk"));
    return true;
  }
  parts_.push_back(std::move(part));
  writing_ = true;
  return true;
}

bool UploadReceiver::write(const char* data, std::size_t size) {
  if (!writing_) {
    dropped_ += size;
    return dropped_ <= 4 * max_bytes_;  // a body far past the limit is cut off
  }
  Part& part = parts_.back();
  part.bytes += size;
  if (part.bytes > max_bytes_) {
    fail(Error(ErrorCode::invalid_input,
               "'" + part.name + "' is larger than the " + std::to_string(max_bytes_ >> 20) + " MiB upload limit", {},
               "upload a shorter clip, or raise max_upload_mb in the settings file"));
    return true;
  }
  out_.write(data, static_cast<std::streamsize>(size));
  if (!out_)
    fail(Error(ErrorCode::disk_full, "the disk filled up while receiving '" + part.name + "'", folder_,
               "free some space, then upload it again"));
  return true;
}

void UploadReceiver::close_part() {
  if (!writing_) return;
  out_.close();
  writing_ = false;
  if (!out_)
    fail(Error(ErrorCode::disk_full, "the disk filled up while receiving '" + parts_.back().name + "'", folder_,
               "free some space, then upload it again"));
}

std::vector<std::string> UploadReceiver::finish(bool complete, const std::function<void()>& before_replacing) {
  close_part();
  if (error_) throw *error_;
  if (!complete) {
    throw Error(ErrorCode::invalid_input, "the upload was cut short", {}, "send the files again");
  }
  if (parts_.empty()) {
    throw Error(ErrorCode::invalid_input, "the upload held no file", {}, "send the files in a form field 'files'");
  }
  for (const auto& part : parts_) {
    if (media::is_image_file(part.name)) {  // a photo declaring gigapixels is refused before its decoder allocates
      std::ifstream header(part.partial, std::ios::binary);
      media::check_image_pixels(header, "'" + part.name + "'");  // another format: read_image refuses it below
    }
    if (part.bytes == 0 || !decodes(part.partial, part.name)) {
      throw Error(ErrorCode::unsupported,
                  "'" + part.name + "' cannot be read as a " + (media::is_image_file(part.name) ? "photo" : "video"),
                  {}, "it may be damaged or cut short; " + std::string(kWhatToUpload));
    }
  }
  if (before_replacing) before_replacing();
  std::error_code ec;
  if (kind_ == UploadKind::target) {
    for (const auto& old : fs::directory_iterator(folder_, ec)) {
      if (old.is_regular_file() && old.path().filename().string().front() != '.') fs::remove(old.path(), ec);
    }
  }
  std::vector<std::string> names;
  for (const auto& part : parts_) {
    fs::rename(part.partial, folder_ / part.name, ec);
    if (ec) throw Error(ErrorCode::disk_full, "cannot keep '" + part.name + "': " + ec.message(), folder_, "");
    names.push_back(part.name);
  }
  parts_.clear();
  return names;
}

}  // namespace wf::server
