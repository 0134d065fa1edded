// ApplyYaml: walks the document against the key table, reporting every unknown key,
// wrong type and out-of-range value with its line, and applying all the good ones.
#include <set>

#include "dnsd/config/agent_services.h"
#include "dnsd/config/apply.h"
#include "dnsd/config/config.h"
#include "dnsd/config/http_tokens.h"
#include "dnsd/config/keys.h"

namespace dnsd::config {

namespace {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// " (did you mean dns.ttl?)" for a near miss, else "".
std::string Suggestion(const std::string& path) {
  std::string_view best;
  size_t best_distance = 3;  // more than two edits away is no longer a typo
  for (const KeySpec& spec : ConfigKeys()) {
    size_t d = EditDistance(path, spec.path);
    if (d < best_distance) {
      best_distance = d;
      best = spec.path;
    }
  }
  return best.empty() ? "" : " (did you mean " + std::string(best) + "?)";
}

void WalkMap(const YAML::Node& map, const std::string& prefix, Config& cfg, Reporter& rep) {
  std::set<std::string> seen;
  for (const auto& entry : map) {
    int key_line = LineOf(entry.first);
    if (!entry.first.IsScalar()) {
      rep.Add(key_line, prefix, "keys must be plain words");
      continue;
    }
    const std::string& key = entry.first.Scalar();
    std::string path = prefix.empty() ? key : prefix + "." + key;
    if (!seen.insert(key).second) {
      rep.Add(key_line, path, "given twice");
    } else if (path == kAgentServicesKey) {  // a list of maps: not a table key
      ApplyAgentServices(entry.second, key_line, cfg, rep);
    } else if (path == kHttpTokensKey) {  // strings or maps: not a table key
      ApplyHttpTokens(entry.second, key_line, cfg, rep);
    } else if (const KeySpec* spec = FindKey(path)) {
      ApplyValue(*spec, entry.second, key_line, path, true, cfg, rep);
    } else if (!IsSection(path)) {
      rep.Add(key_line, path, "unknown key" + Suggestion(path));
    } else if (entry.second.IsMap()) {
      WalkMap(entry.second, path, cfg, rep);
    } else if (!entry.second.IsNull()) {  // "dns:" with nothing below keeps the defaults
      rep.Add(LineOf(entry.second, key_line), path,
              "must be a map of keys (" + SectionKeys(path) + ")");
    }
  }
}

}  // namespace

void ApplyYaml(const std::string& text, const std::string& source, Config& cfg,
               std::vector<ConfigError>& errors) {
  Reporter rep{source, errors};
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    rep.Add(e.mark.is_null() ? 0 : e.mark.line + 1, "", "YAML syntax error: " + e.msg);
    return;
  }
  if (root.IsNull()) return;  // an empty file: every default stands
  if (!root.IsMap()) {
    rep.Add(LineOf(root, 1), "",
            "the configuration must be a map of sections (" + SectionKeys("") + ")");
    return;
  }
  WalkMap(root, "", cfg, rep);
}

}  // namespace dnsd::config
