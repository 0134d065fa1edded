#include "dnsd/config/apply.h"

#include <charconv>
#include <cstdio>

#include "dnsd/config/values.h"

namespace dnsd::config {

namespace {

using std::string;
using std::vector;

string Quoted(const string& s) { return "\"" + s + "\""; }

string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

string RangeMessage(const KeySpec& spec, string (*fmt)(double)) {
  if (spec.min_exclusive)
    return "must be greater than " + fmt(spec.min) + " and at most " + fmt(spec.max);
  return "must be between " + fmt(spec.min) + " and " + fmt(spec.max);
}

string FormatMs(double ms) { return FormatDuration(Duration(static_cast<int64_t>(ms))); }

bool InRange(const KeySpec& spec, double v) {
  return (spec.min_exclusive ? v > spec.min : v >= spec.min) && v <= spec.max;
}

// Checks one string (a whole string key or one list element); "" when fine.
string CheckString(const KeySpec& spec, string& value) {
  if (spec.normalize) value = spec.normalize(value);
  if (!spec.choices.empty()) {
    string lower = value;
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    string choices(spec.choices);
    for (size_t start = 0; start <= choices.size();) {
      size_t bar = choices.find('|', start);
      if (bar == string::npos) bar = choices.size();
      if (choices.compare(start, bar - start, lower) == 0) {
        value = lower;
        return {};
      }
      start = bar + 1;
    }
    for (char& c : choices) c = c == '|' ? ',' : c;
    size_t pos = 0;
    while ((pos = choices.find(',', pos)) != string::npos) choices.insert(++pos, " ");
    return "must be one of " + choices + "; got " + Quoted(value);
  }
  return spec.check ? spec.check(value) : string();
}

struct ScalarApplier {
  const KeySpec& spec;
  const YAML::Node& node;
  const string& label;
  int line;
  Reporter& rep;
  Config& cfg;

  const string& text() const { return node.Scalar(); }

  void operator()(Field<bool> f) const {
    bool value = false;
    if (!YAML::convert<bool>::decode(node, value))
      return rep.Add(line, label, "must be true or false, got " + Quoted(text()));
    f(cfg) = value;
  }

  bool Unsigned(uint64_t& value) const {
    const string& s = text();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || ec == std::errc::invalid_argument || end != s.data() + s.size()) {
      rep.Add(line, label, "must be a whole number, got " + Quoted(s));
      return false;
    }
    if (ec == std::errc::result_out_of_range || !InRange(spec, static_cast<double>(value))) {
      rep.Add(line, label, RangeMessage(spec, Number) + ", got " + s);
      return false;
    }
    return true;
  }
  void operator()(Field<uint32_t> f) const {
    uint64_t v = 0;
    if (Unsigned(v)) f(cfg) = static_cast<uint32_t>(v);
  }
  void operator()(Field<uint64_t> f) const {
    uint64_t v = 0;
    if (Unsigned(v)) f(cfg) = v;
  }

  void operator()(Field<double> f) const {
    const string& s = text();
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v != v) {
      return rep.Add(line, label, "must be a number, got " + Quoted(s));
    }
    if (!InRange(spec, v)) return rep.Add(line, label, RangeMessage(spec, Number) + ", got " + s);
    f(cfg) = v;
  }

  void operator()(Field<Duration> f) const {
    auto d = ParseDuration(text());
    if (!d) {
      return rep.Add(line, label,
                     "must be a duration such as \"500ms\", \"10s\", \"1m30s\", \"2h\" or a number "
                     "of seconds, got " +
                         Quoted(text()));
    }
    if (!InRange(spec, static_cast<double>(d->count()))) {
      return rep.Add(line, label, RangeMessage(spec, FormatMs) + ", got " + text());
    }
    f(cfg) = *d;
  }

  void operator()(Field<string> f) const {
    string value = text();
    if (string problem = CheckString(spec, value); !problem.empty())
      return rep.Add(line, label, problem);
    f(cfg) = value;
    if (spec.on_set) spec.on_set(cfg);
  }

  void operator()(Field<vector<string>>) const {}
  void operator()(Field<vector<addr::Address>>) const {}
};

// Lists: every element is checked; the list is stored only when all are good.
void ApplyList(const KeySpec& spec, const YAML::Node& node, int line, const string& label,
               bool index_elements, Config& cfg, Reporter& rep) {
  if (!node.IsNull() && !node.IsSequence()) {
    return rep.Add(line, label, "must be a list, e.g. [\"a\", \"b\"]");
  }
  vector<string> strings;
  vector<addr::Address> addresses;
  bool ok = true;
  for (size_t i = 0; node.IsSequence() && i < node.size(); ++i) {
    const YAML::Node& item = node[i];
    string item_label = index_elements ? label + "[" + std::to_string(i) + "]" : label;
    int item_line = LineOf(item, line);
    if (!item.IsScalar()) {
      rep.Add(item_line, item_label, "must be a string");
      ok = false;
      continue;
    }
    string value = item.Scalar();
    if (spec.default_port != 0 ||
        std::holds_alternative<Field<vector<addr::Address>>>(spec.field)) {
      auto address = addr::ParseAddress(value, spec.default_port);
      if (!address) {
        rep.Add(item_line, item_label,
                Quoted(value) + " is not an address: expected IP:PORT, [IPv6]:PORT or IP");
        ok = false;
        continue;
      }
      addresses.push_back(*address);
    } else if (string problem = CheckString(spec, value); !problem.empty()) {
      rep.Add(item_line, item_label, problem);
      ok = false;
    } else {
      strings.push_back(value);
    }
  }
  if (!ok) return;
  if (auto* f = std::get_if<Field<vector<addr::Address>>>(&spec.field)) (*f)(cfg) = addresses;
  if (auto* f = std::get_if<Field<vector<string>>>(&spec.field)) (*f)(cfg) = strings;
}

}  // namespace

int LineOf(const YAML::Node& node, int fallback) {
  return node.Mark().is_null() ? fallback : node.Mark().line + 1;
}

void ApplyValue(const KeySpec& spec, const YAML::Node& value, int key_line, const string& label,
                bool index_elements, Config& cfg, Reporter& rep) {
  int line = LineOf(value, key_line);
  bool is_list = std::holds_alternative<Field<vector<string>>>(spec.field) ||
                 std::holds_alternative<Field<vector<addr::Address>>>(spec.field);
  if (is_list) return ApplyList(spec, value, line, label, index_elements, cfg, rep);
  if (value.IsNull()) return rep.Add(key_line, label, "missing value");
  if (!value.IsScalar()) {
    return rep.Add(line, label,
                   "must be a single value (" + TypeName(spec) + "), not a " +
                       (value.IsMap() ? "map" : "list"));
  }
  std::visit(ScalarApplier{spec, value, label, line, rep, cfg}, spec.field);
}

void CheckStoredValue(const KeySpec& spec, const Config& cfg, vector<ConfigError>& errors) {
  // Re-applies the stored value through the same code path, into a scratch config.
  Config scratch = cfg;
  YAML::Node node;
  if (auto* f = std::get_if<Field<vector<string>>>(&spec.field)) {
    for (const string& s : (*f)(scratch)) node.push_back(s);
  } else if (auto* f = std::get_if<Field<vector<addr::Address>>>(&spec.field)) {
    for (const addr::Address& a : (*f)(scratch)) node.push_back(a.ToString());
  } else if (auto* f = std::get_if<Field<string>>(&spec.field)) {
    node = (*f)(scratch);
  } else {
    node = FormatValue(spec, scratch);
  }
  Reporter rep{"", errors};
  ApplyValue(spec, node, 0, string(spec.path), true, scratch, rep);
}

}  // namespace dnsd::config
