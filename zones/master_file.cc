// RFC 1035 master files, read record by record with ldns so that every bad record is
// reported (with the line it starts on) instead of only the first.
#include <cstdio>
#include <filesystem>

#include "zones/builder.h"
#include "zones/names.h"
#include "zones/zone.h"

namespace zones {

namespace {

constexpr size_t kMaxErrorsPerFile = 100;
constexpr uint32_t kDefaultTtl = 3600;  // without $TTL (ldns's and BIND's default)

struct FileClose {
  void operator()(FILE* f) const { std::fclose(f); }
};

// "dir/example.com.zone" -> "example.com."
std::string OriginFromFileName(const std::string& file_name) {
  std::string base = std::filesystem::path(file_name).filename().string();
  if (base.ends_with(".zone")) base.resize(base.size() - 5);
  return base.empty() ? "." : NormalizeOrigin(base);
}

// Tracks the text ldns reads so that errors can name the line a record starts on and
// quote it (ldns only counts the newlines it has consumed).
class LineTracker {
 public:
  explicit LineTracker(std::string_view text) : text_(text) {}

  // Skips blank and comment-only lines from pos; returns the 1-based line of the
  // first token and remembers where it starts.
  int StartOfRecord(size_t pos) {
    while (pos < text_.size()) {
      char c = text_[pos];
      if (c == ';') {
        while (pos < text_.size() && text_[pos] != '\n') ++pos;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
        ++pos;
      } else {
        break;
      }
    }
    for (; counted_ < pos && counted_ < text_.size(); ++counted_) {
      if (text_[counted_] == '\n') ++line_;
    }
    start_ = pos;
    return line_;
  }

  // The physical line the current record starts on, trimmed and shortened.
  std::string Quote() const {
    size_t begin = text_.rfind('\n', start_ == 0 ? 0 : start_ - 1);
    begin = (begin == std::string_view::npos || start_ == 0) ? 0 : begin + 1;
    size_t end = text_.find('\n', start_);
    std::string_view line = text_.substr(begin, end == std::string_view::npos ? end : end - begin);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    std::string out(line.substr(0, 80));
    return line.size() > 80 ? out + "..." : out;
  }

  // The argument of a directive at the current record ("$ORIGIN sub" -> "sub").
  std::string DirectiveArgument() const {
    size_t pos = text_.find_first_of(" \t", start_);
    if (pos == std::string_view::npos) return {};
    pos = text_.find_first_not_of(" \t", pos);
    if (pos == std::string_view::npos) return {};
    size_t end = text_.find_first_of(" \t\r\n;", pos);
    return std::string(text_.substr(pos, end == std::string_view::npos ? end : end - pos));
  }

 private:
  std::string_view text_;
  size_t counted_ = 0;
  int line_ = 1;
  size_t start_ = 0;
};

bool EndsWithUnescapedDot(const std::string& name) {
  if (name.empty() || name.back() != '.') return false;
  size_t backslashes = 0;
  for (size_t i = name.size() - 1; i > 0 && name[i - 1] == '\\'; --i) ++backslashes;
  return backslashes % 2 == 0;
}

// One pass over a file with a given starting origin.
class MasterParser {
 public:
  MasterParser(std::string_view text, const std::string& file, const std::string& origin,
               std::vector<LoadError>& errors)
      : text_(text), file_(file), tracker_(text), errors_(errors), origin_(NameFromString(origin)) {
    if (!origin_) origin_ = NameFromString(".");
  }

  // Reads one record (or directive) per call to ldns, so that a bad record costs one
  // error and parsing continues with the next line.
  void Run(std::vector<SourceRecord>& records) {
    std::string buffer(text_);
    if (buffer.empty()) return;
    std::unique_ptr<FILE, FileClose> fp(fmemopen(buffer.data(), buffer.size(), "r"));
    if (!fp) return Error(0, "cannot read the file");
    // Each call consumes at least one byte; the bound guards against a stuck reader.
    for (size_t guard = 0; guard <= buffer.size() && !std::feof(fp.get()); ++guard) {
      long pos = std::ftell(fp.get());
      ReadOne(fp.get(), tracker_.StartOfRecord(pos < 0 ? 0 : static_cast<size_t>(pos)), records);
      if (std::ftell(fp.get()) == pos && !std::feof(fp.get())) break;
    }
  }

  const std::string& soa_owner() const { return soa_owner_; }
  const std::string& explicit_origin() const { return explicit_origin_; }
  bool soa_before_origin() const { return soa_before_origin_; }

 private:
  void ReadOne(FILE* fp, int line, std::vector<SourceRecord>& records) {
    RdfPtr previous_origin(ldns_rdf_clone(origin_.get()));
    ldns_rr* raw = nullptr;
    ldns_rdf* origin_slot = origin_.release();  // ldns may replace it ($ORIGIN)
    ldns_rdf* prev_slot = prev_owner_.release();
    ldns_status status =
        ldns_rr_new_frm_fp_l(&raw, fp, &default_ttl_, &origin_slot, &prev_slot, &ldns_line_);
    origin_.reset(origin_slot);
    prev_owner_.reset(prev_slot);
    RrPtr rr(status == LDNS_STATUS_OK ? raw : nullptr);
    switch (status) {
      case LDNS_STATUS_OK:
        return OnRecord(line, std::move(rr), records);
      case LDNS_STATUS_SYNTAX_EMPTY:
      case LDNS_STATUS_SYNTAX_TTL:
        return;
      case LDNS_STATUS_SYNTAX_ORIGIN:
        return OnOrigin(line, std::move(previous_origin));
      case LDNS_STATUS_SYNTAX_INCLUDE:
        return Error(line, "$INCLUDE is not supported: " + tracker_.Quote());
      default:
        if (!origin_) origin_ = std::move(previous_origin);  // a bad $ORIGIN: keep the old
        return Error(line, std::string(ldns_get_errorstr_by_id(status)) + ": " + tracker_.Quote());
    }
  }

  void Error(int line, const std::string& message) {
    if (errors_.size() < kMaxErrorsPerFile) errors_.push_back({file_, line, message});
  }

  // ldns makes a relative $ORIGIN absolute by itself; RFC 1035 wants it appended to the
  // previous origin.
  void OnOrigin(int line, RdfPtr previous) {
    std::string arg = tracker_.DirectiveArgument();
    if (!EndsWithUnescapedDot(arg) && previous) {
      std::string prev = LowerName(*previous);
      RdfPtr joined = NameFromString(arg + "." + (prev == "." ? "" : prev));
      if (!joined) {
        origin_ = std::move(previous);
        return Error(line, "bad $ORIGIN: " + tracker_.Quote());
      }
      origin_ = std::move(joined);
    }
    if (explicit_origin_.empty() && origin_) explicit_origin_ = LowerName(*origin_);
  }

  void OnRecord(int line, RrPtr rr, std::vector<SourceRecord>& records) {
    auto converted = ConvertRr(*rr);
    if (auto* problem = std::get_if<std::string>(&converted)) {
      return Error(line, *problem + ": " + tracker_.Quote());
    }
    auto& data = std::get<RecordData>(converted);
    if (data.type == 6 && soa_owner_.empty()) {
      soa_owner_ = data.owner;
      soa_before_origin_ = explicit_origin_.empty();
    }
    records.push_back({std::move(data), line});
  }

  std::string_view text_;
  const std::string& file_;
  LineTracker tracker_;
  std::vector<LoadError>& errors_;
  RdfPtr origin_;  // the current origin
  RdfPtr prev_owner_;
  uint32_t default_ttl_ = kDefaultTtl;
  int ldns_line_ = 0;
  std::string explicit_origin_;  // the first $ORIGIN, lower-case
  std::string soa_owner_;        // the first SOA's owner
  bool soa_before_origin_ = false;
};

}  // namespace

// The zone's origin is the SOA owner, else the first $ORIGIN, else the file name. Names
// before any $ORIGIN are relative to that origin, which an SOA further down may only
// reveal: the file is then read again with it.
ParsedFile ParseMasterRecords(std::string_view text, const std::string& file_name,
                              std::vector<LoadError>& errors) {
  ParsedFile out{file_name, OriginFromFileName(file_name), {}};
  std::vector<LoadError> pass_errors;
  MasterParser first(text, file_name, out.origin, pass_errors);
  first.Run(out.records);
  if (first.soa_before_origin() && first.soa_owner() != out.origin) {
    out.records.clear();
    pass_errors.clear();
    out.origin = first.soa_owner();
    MasterParser(text, file_name, out.origin, pass_errors).Run(out.records);
  } else if (!first.soa_owner().empty()) {
    out.origin = first.soa_owner();
  } else if (!first.explicit_origin().empty()) {
    out.origin = first.explicit_origin();
  }
  std::erase_if(out.records, [&](const SourceRecord& rec) {
    if (IsAtOrBelow(rec.data.owner, out.origin)) return false;
    pass_errors.push_back(
        {file_name, rec.line, rec.data.owner + " is outside the zone " + out.origin});
    return true;
  });
  errors.insert(errors.end(), pass_errors.begin(), pass_errors.end());
  return out;
}

LoadResult ParseMasterFile(std::string_view text, const std::string& file_name,
                           std::string_view service_domain) {
  std::vector<LoadError> errors;
  ParsedFile file = ParseMasterRecords(text, file_name, errors);
  return FinishSingleFile(std::move(file), service_domain, std::move(errors));
}

}  // namespace zones
