#include <fmt/format.h>

#include <algorithm>

#include "common/text_util.h"
#include "reports/report.h"

namespace hwplan::reports {
namespace {

// Display width in code points (UTF-8 continuation bytes do not take a column).
size_t display_width(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string pad(const std::string& text, size_t width, Align align) {
  const size_t w = display_width(text);
  const std::string fill(width > w ? width - w : 0, ' ');
  return align == Align::kRight ? fill + text : text + fill;
}

void render_table(const Table& table, std::string& out) {
  if (!table.title.empty()) out += table.title + "\n";
  std::vector<size_t> widths;
  for (const auto& column : table.columns) widths.push_back(display_width(column_heading(column)));
  std::vector<std::vector<std::string>> texts;
  for (const auto& row : table.rows) {
    auto& line = texts.emplace_back();
    for (size_t c = 0; c < table.columns.size(); ++c) {
      line.push_back(c < row.size() ? cell_text(row[c], table.columns[c]) : "");
      widths[c] = std::max(widths[c], display_width(line.back()));
    }
  }
  auto emit = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) line += "  ";
      line += pad(cells[c], widths[c], table.columns[c].align);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  };
  std::vector<std::string> headings;
  for (const auto& column : table.columns) headings.push_back(column_heading(column));
  emit(headings);
  std::vector<std::string> rules;
  rules.reserve(widths.size());
  for (size_t w : widths) rules.emplace_back(w, '-');
  emit(rules);
  for (const auto& line : texts) emit(line);
}

}  // namespace

std::string render_text(const Report& report) {
  std::string out;
  for (size_t i = 0; i < report.tables.size(); ++i) {
    if (i > 0) out += "\n";
    render_table(report.tables[i], out);
  }
  if (!report.notes.empty()) {
    out += "\n";
    for (const auto& note : report.notes) out += printable(note) + "\n";
  }
  for (const auto& warning : report.context.warnings) out += "warning: " + warning + "\n";
  return out;
}

}  // namespace hwplan::reports
