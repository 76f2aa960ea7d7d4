#include <fmt/format.h>

#include <algorithm>

#include "common/text_util.h"
#include "reports/report.h"

namespace hwplan::reports {
namespace {

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\";
    out += c;
  }
  return out;
}

}  // namespace

std::string render_markdown(const Report& report) {
  std::string out;
  for (const auto& table : report.tables) {
    if (!table.title.empty()) out += fmt::format("### {}\n\n", table.title);
    std::vector<std::vector<std::string>> cells;
    std::vector<size_t> widths;
    for (const auto& column : table.columns)
      widths.push_back(std::max<size_t>(3, escape(column_heading(column)).size()));
    for (const auto& row : table.rows) {
      auto& line = cells.emplace_back();
      for (size_t c = 0; c < table.columns.size(); ++c) {
        line.push_back(escape(c < row.size() ? cell_text(row[c], table.columns[c]) : ""));
        widths[c] = std::max(widths[c], line.back().size());
      }
    }
    auto emit = [&](const std::vector<std::string>& line) {
      out += "|";
      for (size_t c = 0; c < line.size(); ++c) {
        const std::string fill(widths[c] - std::min(widths[c], line[c].size()), ' ');
        const bool right = table.columns[c].align == Align::kRight;
        out += ' ';
        out += right ? fill : line[c];
        out += right ? line[c] : fill;
        out += " |";
      }
      out += "\n";
    };
    std::vector<std::string> headings;
    for (const auto& column : table.columns) headings.push_back(escape(column_heading(column)));
    emit(headings);
    out += "|";
    for (size_t c = 0; c < widths.size(); ++c) {
      const bool right = table.columns[c].align == Align::kRight;
      out += ' ';
      out.append(widths[c] - 1, '-');
      out += right ? ": |" : "- |";
    }
    out += "\n";
    for (const auto& line : cells) emit(line);
    out += "\n";
  }
  for (const auto& chart : report.charts) {
    out += fmt::format("### {}\n\n```\n{}```\n\n", chart.title, render_chart_text(chart));
  }
  for (const auto& note : report.notes) out += "- " + printable(note) + "\n";
  return out;
}

}  // namespace hwplan::reports
