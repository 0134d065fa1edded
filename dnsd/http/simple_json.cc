// The simple-object fast path: a scanner over the text that gives up (nullopt) at the
// first thing outside the accepted subset; the structure check does the rest (a number
// followed by '.', 'e' or a digit after a leading 0 is not followed by ',' or '}').
#include "dnsd/http/simple_json.h"

#include <cstdint>
#include <cstring>
#include <string>

namespace dnsd::http::internal {
namespace {

using Json = nlohmann::json;

class Scanner {
 public:
  explicit Scanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  // Skips JSON whitespace, then consumes c if it is next.
  bool Eat(char c) {
    SkipSpace();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool AtEnd() {
    SkipSpace();
    return p_ == end_;
  }
  char Peek() {
    SkipSpace();
    return p_ == end_ ? '\0' : *p_;
  }

  // "..." of printable ASCII (0x20-0x7f) without a backslash.
  bool String(std::string& out) {
    if (!Eat('"')) return false;
    const char* start = p_;
    for (; p_ != end_; ++p_) {
      auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out.assign(start, p_);
        ++p_;
        return true;
      }
      if (c < 0x20 || c >= 0x80 || c == '\\') return false;
    }
    return false;
  }

  // 0 or [1-9][0-9]{0,18}: always fits in uint64_t, as nlohmann's number_unsigned.
  bool Unsigned(uint64_t& out) {
    SkipSpace();
    const char* start = p_;
    out = 0;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9' && p_ - start < 19) {
      out = out * 10 + static_cast<uint64_t>(*p_ - '0');
      ++p_;
      if (out == 0) break;  // a leading zero is the whole number
    }
    return p_ != start;
  }

  bool Null() {
    SkipSpace();
    if (end_ - p_ < 4 || std::memcmp(p_, "null", 4) != 0) return false;
    p_ += 4;
    return true;
  }

 private:
  void SkipSpace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }

  const char* p_;
  const char* end_;
};

bool StringArray(Scanner& s, Json& out) {
  out = Json::array();
  if (s.Eat(']')) return true;
  do {
    std::string item;
    if (!s.String(item)) return false;
    out.push_back(std::move(item));
  } while (s.Eat(','));
  return s.Eat(']');
}

// After the opening '{': "key": value pairs up to '}'; nested objects hold strings only.
bool Members(Scanner& s, Json& out, bool top) {
  out = Json::object();
  if (s.Eat('}')) return true;
  do {
    std::string key;
    if (!s.String(key) || !s.Eat(':')) return false;
    if (out.contains(key)) return false;  // duplicates: the full parser names the field
    Json value;
    char next = s.Peek();
    if (next == '"') {
      std::string text;
      if (!s.String(text)) return false;
      value = std::move(text);
    } else if (!top) {
      return false;
    } else if (next >= '0' && next <= '9') {
      uint64_t n = 0;
      if (!s.Unsigned(n)) return false;
      value = n;
    } else if (next == 'n') {
      if (!s.Null()) return false;
    } else if (s.Eat('[')) {
      if (!StringArray(s, value)) return false;
    } else if (s.Eat('{')) {
      if (!Members(s, value, false)) return false;
    } else {
      return false;
    }
    out.emplace(std::move(key), std::move(value));
  } while (s.Eat(','));
  return s.Eat('}');
}

}  // namespace

std::optional<Json> ParseSimpleObject(std::string_view text) {
  Scanner s(text);
  Json out;
  if (!s.Eat('{') || !Members(s, out, true) || !s.AtEnd()) return std::nullopt;
  return out;
}

}  // namespace dnsd::http::internal
