// Turns the records read from zone files into Zones: merges files with the same origin,
// groups RRsets (one TTL each: the smallest), checks the rules a server relies on (SOA
// only at the apex and only one, CNAME alone at its name, no delegations) and adds a
// generated SOA where one is needed. Internal to the zones library.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zones/ldns_util.h"
#include "zones/zone.h"

namespace zones {

struct SourceRecord {
  RecordData data;
  int line = 0;
};

// What one file contributed: its origin (lower-case FQDN) and records, all at or below it.
struct ParsedFile {
  std::string file;
  std::string origin;
  std::vector<SourceRecord> records;
};

// The per-format readers: every problem is appended to errors; the records returned
// are the good ones, all at or below the returned origin.
ParsedFile ParseMasterRecords(std::string_view text, const std::string& file_name,
                              std::vector<LoadError>& errors);
ParsedFile ParseYamlRecords(std::string_view text, const std::string& file_name,
                            std::vector<LoadError>& errors);

// Builds one zone per distinct origin. Problems are appended to errors, naming the file
// and line of the offending record. serial is the generated SOAs' serial.
std::vector<Zone> BuildZones(std::vector<ParsedFile> files, std::string_view service_domain,
                             uint32_t serial, std::vector<LoadError>& errors);

// Orders errors by file, then line (stable), so that they read top to bottom.
void SortErrors(std::vector<LoadError>& errors);

// The serial a zone loaded now gets: seconds since the epoch, truncated to 32 bits.
uint32_t SerialNow();

// LoadResult from a single parsed file (shared by ParseMasterFile and ParseYamlZone).
LoadResult FinishSingleFile(ParsedFile file, std::string_view service_domain,
                            std::vector<LoadError> errors);

}  // namespace zones
