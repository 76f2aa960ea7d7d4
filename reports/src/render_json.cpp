#include "reports/report.h"

namespace hwplan::reports {

// Shape: {"schema_version":1,"context":{...},"tables":{"<key>":[{column key: value}]},
//         "notes":[...], "details":{...}} (README "JSON output").
std::string render_json(const Report& report) {
  nlohmann::json root;
  root["schema_version"] = 1;
  const auto& c = report.context;
  root["context"] = {
      {"tool_version", c.tool_version}, {"git_sha", c.git_sha}, {"build_type", c.build_type},
      {"utc_time", c.utc_time},         {"host", c.host},       {"command", c.command},
      {"warnings", c.warnings}};
  root["tables"] = nlohmann::json::object();
  for (const auto& table : report.tables) {
    auto rows = nlohmann::json::array();
    for (const auto& row : table.rows) {
      nlohmann::json object = nlohmann::json::object();
      for (size_t i = 0; i < table.columns.size() && i < row.size(); ++i) {
        object[table.columns[i].key] = cell_json(row[i]);
      }
      rows.push_back(std::move(object));
    }
    root["tables"][table.key] = std::move(rows);
  }
  root["notes"] = report.notes;
  if (!report.details.is_null()) root["details"] = report.details;
  if (report.top_level.is_object()) {
    for (const auto& [key, value] : report.top_level.items()) root[key] = value;
  }
  return root.dump(2) + "\n";
}

}  // namespace hwplan::reports
