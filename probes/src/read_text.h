#pragma once
// The probes' one reader of small system files (procfs, sysfs, cgroupfs): the whole text, or ""
// when the file is absent or unreadable.

#include <filesystem>
#include <string>

namespace hwplan::probes::detail {

std::string read_text(const std::filesystem::path& path);

}  // namespace hwplan::probes::detail
