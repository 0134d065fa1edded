#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "zones/builder.h"
#include "zones/zone.h"

namespace zones {

namespace {

namespace fs = std::filesystem;

constexpr uintmax_t kMaxZoneFileBytes = 64u << 20;

bool ReadFile(const fs::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  out = std::move(buffer).str();
  return !in.bad();
}

// *.zone and *.yaml regular files (or links to them) in dir, sorted by name.
std::vector<fs::path> ZoneFiles(const fs::path& dir, std::error_code& ec) {
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string ext = it->path().extension().string();
    if ((ext == ".zone" || ext == ".yaml") && fs::is_regular_file(it->path())) {
      files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

LoadResult LoadZoneDir(const std::string& dir, std::string_view service_domain,
                       bool allow_missing) {
  LoadResult result;
  std::error_code ec;
  if (dir.empty() || !fs::exists(dir, ec)) {
    if (allow_missing) {
      result.zones = std::make_shared<const ZoneSet>();
    } else {
      result.errors.push_back(
          {dir, 0, dir.empty() ? "no zones directory given" : "zones directory does not exist"});
    }
    return result;
  }
  if (!fs::is_directory(dir, ec)) {
    result.errors.push_back({dir, 0, "not a directory"});
    return result;
  }
  std::vector<fs::path> paths = ZoneFiles(dir, ec);
  if (ec) {
    result.errors.push_back({dir, 0, "cannot list the directory: " + ec.message()});
    return result;
  }
  std::vector<ParsedFile> parsed;
  for (const fs::path& path : paths) {
    std::string name = path.string();
    std::string text;
    if (fs::file_size(path, ec) > kMaxZoneFileBytes && !ec) {
      result.errors.push_back({name, 0, "file is larger than 64 MiB"});
      continue;
    }
    if (!ReadFile(path, text)) {
      result.errors.push_back({name, 0, "cannot read the file"});
      continue;
    }
    ParsedFile file = path.extension() == ".zone" ? ParseMasterRecords(text, name, result.errors)
                                                  : ParseYamlRecords(text, name, result.errors);
    if (!file.origin.empty()) parsed.push_back(std::move(file));
  }
  std::vector<Zone> zones =
      BuildZones(std::move(parsed), service_domain, SerialNow(), result.errors);
  if (result.errors.empty()) result.zones = std::make_shared<const ZoneSet>(std::move(zones));
  SortErrors(result.errors);
  return result;
}

}  // namespace zones
