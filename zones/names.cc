#include "zones/names.h"

namespace zones {

std::string LowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string NormalizeOrigin(std::string_view name) {
  std::string out = LowerAscii(name);
  if (!out.empty() && out.back() != '.') out.push_back('.');
  return out;
}

std::string_view ParentName(std::string_view name) {
  if (name.empty() || name == ".") return {};
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '\\') {
      ++i;  // the escaped character (or the first digit of \DDD) is never a separator
      continue;
    }
    if (name[i] == '.') {
      std::string_view rest = name.substr(i + 1);
      return rest.empty() ? std::string_view(".") : rest;
    }
  }
  return ".";  // a relative single label: its parent is the root
}

bool IsAtOrBelow(std::string_view name, std::string_view ancestor) {
  if (ancestor == ".") return !name.empty();
  // Bounded by the number of labels (at most 128 in a valid name).
  for (std::string_view n = name; !n.empty(); n = ParentName(n)) {
    if (n.size() < ancestor.size()) return false;
    if (n == ancestor) return true;
  }
  return false;
}

bool IsWildcard(std::string_view name) {
  return name == "*." || name.starts_with("*.") || name == "*";
}

}  // namespace zones
