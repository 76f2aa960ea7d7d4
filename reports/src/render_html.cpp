// HTML: one self-contained file (inline CSS and SVG, no scripts, no external references), so a
// report opens offline and can be mailed around.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "reports/report.h"

namespace hwplan::reports {
namespace {

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

constexpr const char* kPalette[] = {"#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6a4c93",
                                    "#00798c", "#8d6a9f", "#c97c5d", "#4f6d7a", "#30638e"};
constexpr double kWidth = 720, kHeight = 400, kLeft = 70, kRight = 180, kTop = 40, kBottom = 50;

// A tick label people read at a glance: 4,400 -> "4.4k", 1,250,000 -> "1.25M", 0.5 -> "0.5".
std::string tick_text(double v) {
  const double a = std::abs(v);
  if (a >= 1e6) return fmt::format("{:.3g}M", v / 1e6);
  if (a >= 1e3) return fmt::format("{:.3g}k", v / 1e3);
  return fmt::format("{:.3g}", v);
}

// Marker shapes told apart without colour: circle, square, triangle, diamond, cycling with the
// palette so no two of the first 40 series share both.
std::string marker(size_t series, double cx, double cy, double r, const char* color,
                   const std::string& extra, const std::string& title) {
  const std::string inner = fmt::format("<title>{}</title>", title);
  switch ((series + series / std::size(kPalette)) % 4) {
    case 1:
      return fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"{}>{}"
          "</rect>\n",
          cx - r, cy - r, 2 * r, 2 * r, color, extra, inner);
    case 2:
      return fmt::format(
          "<polygon points=\"{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}\" fill=\"{}\"{}>{}"
          "</polygon>\n",
          cx, cy - 1.2 * r, cx - 1.1 * r, cy + 0.9 * r, cx + 1.1 * r, cy + 0.9 * r, color, extra,
          inner);
    case 3:
      return fmt::format(
          "<polygon points=\"{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}\" "
          "fill=\"{}\"{}>{}</polygon>\n",
          cx, cy - 1.3 * r, cx + 1.3 * r, cy, cx, cy + 1.3 * r, cx - 1.3 * r, cy, color, extra,
          inner);
    default:
      return fmt::format(
          "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{:.1f}\" fill=\"{}\"{}>{}</circle>\n", cx, cy, r,
          color, extra, inner);
  }
}

struct Scale {
  double lo, hi;
  bool log;
  double pixel_lo, pixel_hi;
  double operator()(double v) const {
    const double a = log ? std::log10(std::max(v, 1e-12)) : v;
    const double l = log ? std::log10(lo) : lo;
    const double h = log ? std::log10(hi) : hi;
    return pixel_lo + (h > l ? (a - l) / (h - l) : 0.5) * (pixel_hi - pixel_lo);
  }
};

std::string table_html(const Table& table) {
  std::string out =
      fmt::format("<h2>{}</h2>\n<div class=\"scroll\"><table>\n<tr>", escape(table.title));
  for (const auto& c : table.columns) out += fmt::format("<th>{}</th>", escape(column_heading(c)));
  out += "</tr>\n";
  for (const auto& row : table.rows) {
    out += "<tr>";
    for (size_t i = 0; i < table.columns.size(); ++i) {
      const bool right = table.columns[i].align == Align::kRight;
      out += fmt::format("<td{}>{}</td>", right ? " class=\"num\"" : "",
                         escape(i < row.size() ? cell_text(row[i], table.columns[i]) : ""));
    }
    out += "</tr>\n";
  }
  return out + "</table></div>\n";
}

}  // namespace

std::string render_svg(const Chart& chart) {
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" viewBox=\"0 0 "
      "{:.0f} {:.0f}\" "
      "role=\"img\" aria-label=\"{}\">\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
      "<text x=\"{:.0f}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{}</text>\n",
      kWidth, kHeight, kWidth, kHeight, escape(chart.title), kLeft, escape(chart.title));
  double x_lo = 1e300, x_hi = -1e300, y_hi = 0;
  size_t n_points = 0;
  for (const auto& s : chart.series) {
    for (size_t i = 0; i < s.y.size(); ++i) {
      if (chart.kind == Chart::Kind::kScatter) {
        x_lo = std::min(x_lo, s.x[i]);
        x_hi = std::max(x_hi, s.x[i]);
      }
      y_hi = std::max(y_hi, s.y[i]);
      ++n_points;
    }
  }
  if (n_points == 0) return out + "<text x=\"70\" y=\"60\">no data</text>\n</svg>\n";
  y_hi = y_hi > 0 ? y_hi * 1.1 : 1;
  const Scale ys{0, y_hi, false, kHeight - kBottom, kTop};
  // Axes and the y grid.
  out += fmt::format(
      "<line x1=\"{0:.0f}\" y1=\"{1:.0f}\" x2=\"{0:.0f}\" y2=\"{2:.0f}\" stroke=\"#333\"/>\n",
      kLeft, kTop, kHeight - kBottom);
  out += fmt::format(
      "<line x1=\"{0:.0f}\" y1=\"{1:.0f}\" x2=\"{2:.0f}\" y2=\"{1:.0f}\" stroke=\"#333\"/>\n",
      kLeft, kHeight - kBottom, kWidth - kRight);
  for (int t = 0; t <= 4; ++t) {
    const double v = y_hi * t / 4;
    out += fmt::format(
        "<text x=\"{:.0f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">{}</text>\n",
        kLeft - 6, ys(v) + 4, tick_text(v));
    out += fmt::format(
        "<line x1=\"{:.0f}\" y1=\"{:.1f}\" x2=\"{:.0f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", kLeft,
        ys(v), kWidth - kRight, ys(v));
  }
  out += fmt::format(
      "<text x=\"{:.0f}\" y=\"{:.0f}\" font-size=\"12\" text-anchor=\"middle\">{}</text>\n",
      (kLeft + kWidth - kRight) / 2, kHeight - 12, escape(chart.x_title));
  out += fmt::format(
      "<text x=\"16\" y=\"{:.0f}\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 "
      "16 {:.0f})\">{}</text>\n",
      (kTop + kHeight - kBottom) / 2, (kTop + kHeight - kBottom) / 2, escape(chart.y_title));
  if (chart.kind == Chart::Kind::kBars) {
    const auto& s = chart.series.front();
    const double slot = (kWidth - kRight - kLeft) / static_cast<double>(s.y.size());
    for (size_t i = 0; i < s.y.size(); ++i) {
      const double x = kLeft + slot * (static_cast<double>(i) + 0.15);
      out += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
          "fill=\"{}\"><title>{}: {:.3g}</title></rect>\n",
          x, ys(s.y[i]), slot * 0.7, ys(0) - ys(s.y[i]), kPalette[0], escape(s.labels[i]), s.y[i]);
      out += fmt::format(
          "<text x=\"{:.1f}\" y=\"{:.0f}\" font-size=\"10\" text-anchor=\"end\" "
          "transform=\"rotate(-40 {:.1f} {:.0f})\">{}</text>\n",
          x + slot * 0.35, kHeight - kBottom + 12, x + slot * 0.35, kHeight - kBottom + 12,
          escape(s.labels[i]));
    }
    return out + "</svg>\n";
  }
  if (chart.log_x) {
    x_lo = std::pow(10.0, std::floor(std::log10(std::max(x_lo, 1e-9))));
    x_hi = std::pow(10.0, std::ceil(std::log10(std::max(x_hi, x_lo * 10))));
  } else {
    x_lo = 0;
    x_hi = x_hi > 0 ? x_hi * 1.1 : 1;
  }
  const Scale xs{x_lo, x_hi, chart.log_x, kLeft, kWidth - kRight};
  for (int t = 0; t <= 4; ++t) {
    const double v =
        chart.log_x
            ? std::pow(10.0, std::log10(x_lo) + (std::log10(x_hi) - std::log10(x_lo)) * t / 4)
            : x_hi * t / 4;
    out += fmt::format(
        "<text x=\"{:.1f}\" y=\"{:.0f}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n",
        xs(v), kHeight - kBottom + 16, tick_text(v));
  }
  for (size_t k = 0; k < chart.series.size(); ++k) {
    const auto& s = chart.series[k];
    const char* color = kPalette[k % std::size(kPalette)];
    if (chart.connect && s.x.size() > 1) {
      std::string points;
      for (size_t i = 0; i < s.x.size(); ++i)
        points += fmt::format("{:.1f},{:.1f} ", xs(s.x[i]), ys(s.y[i]));
      out += fmt::format(
          "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>\n", points,
          color);
    }
    for (size_t i = 0; i < s.x.size(); ++i) {
      const std::string label = i < s.labels.size() ? s.labels[i] : s.name;
      const bool strong =
          std::find(chart.highlight.begin(), chart.highlight.end(), label) != chart.highlight.end();
      out += marker(k, xs(s.x[i]), ys(s.y[i]), strong ? 6 : 4, color,
                    strong ? R"( stroke="#000" stroke-width="2")" : "",
                    fmt::format("{}: {}, {}", escape(label), tick_text(s.x[i]), tick_text(s.y[i])));
    }
    out += marker(k, kWidth - kRight + 17, kTop + 16.0 * static_cast<double>(k) + 5, 4.5, color, "",
                  escape(s.name));
    out +=
        fmt::format("<text x=\"{:.0f}\" y=\"{:.0f}\" font-size=\"11\">{}</text>\n",
                    kWidth - kRight + 26, kTop + 16.0 * static_cast<double>(k) + 9, escape(s.name));
  }
  return out + "</svg>\n";
}

std::string render_chart_text(const Chart& chart) {
  std::string out;
  constexpr int kBar = 40;
  double y_hi = 0;
  for (const auto& s : chart.series) {
    for (double v : s.y) y_hi = std::max(y_hi, v);
  }
  for (const auto& s : chart.series) {
    if (chart.series.size() > 1) out += s.name + "\n";
    for (size_t i = 0; i < s.y.size(); ++i) {
      const std::string label = i < s.labels.size() ? s.labels[i] : fmt::format("{:.3g}", s.x[i]);
      const int n = y_hi > 0 ? static_cast<int>(std::lround(kBar * s.y[i] / y_hi)) : 0;
      out += fmt::format("  {:<22} {:<{}} {:.3g}\n", label.substr(0, 22),
                         std::string(static_cast<size_t>(n), '#'), kBar, s.y[i]);
    }
  }
  return out + fmt::format("  ({} against {})\n", chart.y_title, chart.x_title);
}

std::string render_html(const Report& report) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>hwplan "
      "report</title>\n"
      "<style>body{font-family:sans-serif;margin:2em;max-width:1200px;color:#222}"
      ".scroll{overflow-x:auto;max-width:100%}svg{max-width:100%;height:auto}"
      "@media (max-width:600px){body{margin:0.6em}.scroll td{white-space:nowrap}}"
      "table{border-collapse:collapse;margin-bottom:1.5em;font-size:13px}"
      "th,td{border:1px solid #ccc;padding:3px 7px;text-align:left}td.num{text-align:right}"
      "th{background:#f0f0f0}figure{margin:1em 0}</style>\n</head>\n<body>\n<h1>hwplan "
      "report</h1>\n";
  out += fmt::format("<p>hwplan {} ({}), {}</p>\n", escape(report.context.tool_version),
                     escape(report.context.git_sha), escape(report.context.utc_time));
  // A verdict answers first; then the charts, then the tables behind them.
  size_t first_table = 0;
  if (!report.tables.empty() && report.tables.front().key == "verdict") {
    out += table_html(report.tables.front());
    first_table = 1;
  }
  for (const auto& chart : report.charts) out += "<figure>\n" + render_svg(chart) + "</figure>\n";
  for (size_t i = first_table; i < report.tables.size(); ++i) out += table_html(report.tables[i]);
  if (!report.notes.empty()) {
    out += "<h2>Notes and assumptions</h2>\n<ul>\n";
    for (const auto& n : report.notes) out += "<li>" + escape(n) + "</li>\n";
    out += "</ul>\n";
  }
  return out + "</body>\n</html>\n";
}

}  // namespace hwplan::reports
