#include <cmath>

#include "reports/report.h"

namespace hwplan::reports {
namespace {

std::string csv_cell(const Cell& cell) {
  if (std::holds_alternative<std::monostate>(cell)) return "";
  if (const auto* v = std::get_if<double>(&cell)) {
    if (!std::isfinite(*v)) return "";
    return cell_json(cell).dump();  // full precision, as in JSON
  }
  if (const auto* s = std::get_if<std::string>(&cell)) return csv_quote(*s);
  if (const auto* b = std::get_if<bool>(&cell)) return *b ? "true" : "false";
  return cell_json(cell).dump();
}

}  // namespace

std::string csv_quote(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// One header row of column keys (unit-suffixed) per table; tables separated by a blank line.
std::string render_csv(const Report& report) {
  std::string out;
  for (size_t t = 0; t < report.tables.size(); ++t) {
    const auto& table = report.tables[t];
    if (t > 0) out += "\r\n";
    for (size_t c = 0; c < table.columns.size(); ++c) {
      if (c > 0) out += ",";
      out += csv_quote(table.columns[c].key);
    }
    out += "\r\n";
    for (const auto& row : table.rows) {
      for (size_t c = 0; c < table.columns.size(); ++c) {
        if (c > 0) out += ",";
        if (c < row.size()) out += csv_cell(row[c]);
      }
      out += "\r\n";
    }
  }
  return out;
}

}  // namespace hwplan::reports
