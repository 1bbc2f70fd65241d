#pragma once
// CRC-32 (zlib's) of a file's bytes: what a checkpoint manifest records and a phase stamp compares.

#include <cstdint>
#include <filesystem>

namespace wf::core {

// Reads the file in 1 MiB blocks; throws wf::Error naming it when it cannot be read.
std::uint32_t file_crc32(const std::filesystem::path& path);

}  // namespace wf::core
