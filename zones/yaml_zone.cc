// YAML record files (SPEC §6): origin, ttl and a list of {name, type, data, ttl}. Each
// record's data is presentation format; the record is rebuilt as master-file text and
// parsed by ldns, so both formats accept exactly the same record data.
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <set>

#include "zones/builder.h"
#include "zones/names.h"
#include "zones/zone.h"

namespace zones {

namespace {

constexpr uint32_t kDefaultTtl = 3600;
constexpr uint64_t kMaxTtl = 2147483647;  // RFC 2181 §8

int LineOf(const YAML::Node& node) { return node.Mark().is_null() ? 0 : node.Mark().line + 1; }

class YamlZoneReader {
 public:
  YamlZoneReader(const std::string& file, std::vector<LoadError>& errors)
      : file_(file), errors_(errors) {}

  ParsedFile Read(std::string_view text) {
    ParsedFile out{file_, "", {}};
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      Error(e.mark.is_null() ? 0 : e.mark.line + 1, "", "YAML syntax error: " + e.msg);
      return out;
    }
    if (!root.IsMap()) {
      Error(LineOf(root), "", "the file must be a map with origin, ttl and records");
      return out;
    }
    YAML::Node records;
    std::set<std::string> seen;
    for (const auto& entry : root) {
      std::string key = entry.first.Scalar();
      if (!seen.insert(key).second) {
        Error(LineOf(entry.first), key, "given twice");
      } else if (key == "origin") {
        out.origin = ReadOrigin(entry.second);
      } else if (key == "ttl") {
        ReadTtl(entry.second, "ttl", default_ttl_);
      } else if (key == "records") {
        records = entry.second;
      } else {
        Error(LineOf(entry.first), key, "unknown key (expected origin, ttl, records)");
      }
    }
    if (out.origin.empty()) {
      if (!seen.count("origin")) {
        Error(LineOf(root), "origin", "missing (the zone's name, e.g. internal.example.)");
      }
      return out;
    }
    origin_ = NameFromString(out.origin);
    origin_text_ = out.origin;
    if (records && !records.IsNull()) ReadRecords(records, out.records);
    return out;
  }

 private:
  void Error(int line, const std::string& key, const std::string& message) {
    errors_.push_back({file_, line, key.empty() ? message : key + ": " + message});
  }

  std::string ReadOrigin(const YAML::Node& node) {
    if (!node.IsScalar() || node.Scalar().empty()) {
      Error(LineOf(node), "origin", "must be a domain name, e.g. internal.example.");
      return {};
    }
    std::string origin = NormalizeOrigin(node.Scalar());
    RdfPtr name = NameFromString(origin);
    if (!name || origin.find_first_of(" \t") != std::string::npos) {
      Error(LineOf(node), "origin", "\"" + node.Scalar() + "\" is not a valid domain name");
      return {};
    }
    return LowerName(*name);
  }

  bool ReadTtl(const YAML::Node& node, const std::string& key, uint32_t& ttl) {
    uint64_t value = 0;
    const std::string& s = node.IsScalar() ? node.Scalar() : std::string();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (!node.IsScalar() || s.empty() || ec != std::errc() || end != s.data() + s.size() ||
        value > kMaxTtl) {
      Error(LineOf(node), key, "must be a whole number of seconds from 0 to 2147483647");
      return false;
    }
    ttl = static_cast<uint32_t>(value);
    return true;
  }

  void ReadRecords(const YAML::Node& records, std::vector<SourceRecord>& out) {
    if (!records.IsSequence()) {
      Error(LineOf(records), "records", "must be a list of {name, type, data, ttl} maps");
      return;
    }
    for (size_t i = 0; i < records.size(); ++i) {
      ReadRecord(records[i], "records[" + std::to_string(i) + "]", out);
    }
  }

  struct Fields {
    YAML::Node name, type, data, ttl;
    bool has_ttl = false;
  };

  // Collects the record's keys, reporting unknown and repeated ones.
  bool ReadFields(const YAML::Node& record, const std::string& path, Fields& f) {
    if (!record.IsMap()) {
      Error(LineOf(record), path, "must be a map with name, type and data");
      return false;
    }
    bool ok = true;
    std::set<std::string> seen;
    for (const auto& entry : record) {
      std::string key = entry.first.Scalar();
      YAML::Node* slot = key == "name"   ? &f.name
                         : key == "type" ? &f.type
                         : key == "data" ? &f.data
                         : key == "ttl"  ? &f.ttl
                                         : nullptr;
      if (!slot) {
        Error(LineOf(entry.first), path + "." + key,
              "unknown key (expected name, type, data, ttl)");
        ok = false;
      } else if (!seen.insert(key).second) {
        Error(LineOf(entry.first), path + "." + key, "given twice");
        ok = false;
      } else {
        *slot = entry.second;
      }
    }
    f.has_ttl = seen.count("ttl") > 0;
    for (const char* required : {"name", "type", "data"}) {
      if (!seen.count(required)) {
        Error(LineOf(record), path + "." + required, "missing");
        ok = false;
      }
    }
    return ok;
  }

  // A scalar without whitespace or control characters (it becomes one token of an RR).
  bool ReadToken(const YAML::Node& node, const std::string& key, std::string& out) {
    if (!node.IsScalar() || node.Scalar().empty() ||
        node.Scalar().find_first_of(" \t\r\n;()\"") != std::string::npos) {
      Error(LineOf(node), key, "must be a single word");
      return false;
    }
    out = node.Scalar();
    return true;
  }

  std::string OwnerText(const std::string& name) const {
    if (name == "@") return origin_text_;
    if (name.back() == '.') return name;
    return name + "." + (origin_text_ == "." ? "" : origin_text_);
  }

  void ReadRecord(const YAML::Node& record, const std::string& path,
                  std::vector<SourceRecord>& out) {
    Fields f;
    if (!ReadFields(record, path, f)) return;
    std::string name, type;
    uint32_t ttl = default_ttl_;
    bool ok = ReadToken(f.name, path + ".name", name);
    ok = ReadToken(f.type, path + ".type", type) && ok;
    uint16_t code = ok ? static_cast<uint16_t>(ldns_get_rr_type_by_name(type.c_str())) : 0;
    if (ok && code == 0) {
      Error(LineOf(f.type), path + ".type", "unknown record type \"" + type + "\"");
      ok = false;
    } else if (ok && IsMetaType(code)) {
      Error(LineOf(f.type), path + ".type",
            "type " + TypeName(code) + " cannot be stored in a zone");
      ok = false;
    }
    if (f.has_ttl && !ReadTtl(f.ttl, path + ".ttl", ttl)) ok = false;
    if (!f.data.IsScalar() || f.data.Scalar().find_first_of("\r\n") != std::string::npos) {
      Error(LineOf(f.data), path + ".data", "must be one line of record data, as in a zone file");
      ok = false;
    }
    if (!ok) return;
    Parse(OwnerText(name), type, ttl, f, path, out);
  }

  void Parse(const std::string& owner, const std::string& type, uint32_t ttl, const Fields& f,
             const std::string& path, std::vector<SourceRecord>& out) {
    const YAML::Node& data = f.data;
    int line = LineOf(data);
    std::string text = owner + " " + std::to_string(ttl) + " IN " + type + " " + data.Scalar();
    ldns_rr* raw = nullptr;
    ldns_status status = ldns_rr_new_frm_str(&raw, text.c_str(), ttl, origin_.get(), nullptr);
    RrPtr rr(status == LDNS_STATUS_OK ? raw : nullptr);
    if (!rr) {
      Error(line, path + ".data",
            std::string(ldns_get_errorstr_by_id(status)) + ": \"" + type + " " + data.Scalar() +
                "\"");
      return;
    }
    auto converted = ConvertRr(*rr);
    if (auto* problem = std::get_if<std::string>(&converted)) {
      Error(line, path + ".type", *problem);
      return;
    }
    auto& rec = std::get<RecordData>(converted);
    if (!IsAtOrBelow(rec.owner, origin_text_)) {
      Error(LineOf(f.name), path + ".name", rec.owner + " is outside the zone " + origin_text_);
      return;
    }
    out.push_back({std::move(rec), LineOf(data)});
  }

  const std::string& file_;
  std::vector<LoadError>& errors_;
  uint32_t default_ttl_ = kDefaultTtl;
  RdfPtr origin_;
  std::string origin_text_;
};

}  // namespace

ParsedFile ParseYamlRecords(std::string_view text, const std::string& file_name,
                            std::vector<LoadError>& errors) {
  return YamlZoneReader(file_name, errors).Read(text);
}

LoadResult ParseYamlZone(std::string_view text, const std::string& file_name,
                         std::string_view service_domain) {
  std::vector<LoadError> errors;
  ParsedFile file = ParseYamlRecords(text, file_name, errors);
  if (file.origin.empty()) {  // already reported by the reader
    SortErrors(errors);
    return {nullptr, std::move(errors)};
  }
  return FinishSingleFile(std::move(file), service_domain, std::move(errors));
}

}  // namespace zones
