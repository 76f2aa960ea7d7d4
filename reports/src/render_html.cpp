// HTML: one self-contained file (inline CSS and SVG, no scripts, no external references), so a
// report opens offline and can be mailed around.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

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

namespace {

// A band's end, or NaN where the series has no band for point i.
double band_end(const std::vector<double>& ends, size_t i) {
  return i < ends.size() ? ends[i] : std::nan("");
}

// Every value the y axis must show: points and the ends of their bands (positive ones on a log
// axis).
std::pair<double, double> y_extent(const Chart& chart) {
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  auto take = [&](double v) {
    if (!std::isfinite(v) || (chart.log_y && v <= 0)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  };
  for (const auto& s : chart.series) {
    for (size_t i = 0; i < s.y.size(); ++i) {
      take(s.y[i]);
      take(band_end(s.y_lo, i));
      take(band_end(s.y_hi, i));
    }
  }
  return {lo, hi};
}

// The smallest 1, 2 or 5 x 10^k at or above v (v > 0).
double nice_ceil(double v) {
  const double decade = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * decade >= v * (1 - 1e-9)) return m * decade;
  }
  return 10 * decade;
}

// The largest 1, 2 or 5 x 10^k at or below v (v > 0).
double nice_floor(double v) {
  const double decade = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {5.0, 2.0, 1.0}) {
    if (m * decade <= v * (1 + 1e-9)) return m * decade;
  }
  return decade;
}

// A linear axis from 0 to a round top in round steps (about five): (top, step).
std::pair<double, double> linear_axis(double max_value) {
  if (!(max_value > 0)) return {1, 0.25};
  const double step = nice_ceil(max_value / 5);
  return {step * std::ceil(max_value * 1.02 / step), step};
}

// Tick values: round steps from 0 on a linear axis; 1-2-5 steps per decade on a log axis
// spanning at most two decades, whole decades beyond.
std::vector<double> axis_ticks(const Scale& scale, double step) {
  std::vector<double> ticks;
  if (!scale.log) {
    for (double v = scale.lo; v <= scale.hi * (1 + 1e-9); v += step) ticks.push_back(v);
    return ticks;
  }
  const int first = static_cast<int>(std::floor(std::log10(scale.lo) + 1e-9));
  const int last = static_cast<int>(std::floor(std::log10(scale.hi) + 1e-9));
  const bool fine = std::log10(scale.hi / scale.lo) <= 2.01;
  for (int d = first; d <= last; ++d) {
    for (double m : {1.0, 2.0, 5.0}) {
      const double v = m * std::pow(10.0, d);
      if ((m == 1.0 || fine) && v >= scale.lo * (1 - 1e-9) && v <= scale.hi * (1 + 1e-9))
        ticks.push_back(v);
    }
  }
  return ticks;
}

// The x pixel of series k's point in category slot i: slots share the plot's width; the series
// stand side by side in the middle 80% of each slot.
double category_x(size_t slot, size_t k, size_t n_slots, size_t n_series) {
  const double width = (kWidth - kRight - kLeft) / static_cast<double>(n_slots);
  const double step = width * 0.8 / static_cast<double>(std::max<size_t>(n_series, 1));
  return kLeft + width * (static_cast<double>(slot) + 0.1) + step * (static_cast<double>(k) + 0.5);
}

// Height of one legend row: 16 px, less when that many rows would run past the plot.
double legend_row(size_t n_series) {
  const double available = kHeight - kTop - 8;
  return std::min(16.0, available / static_cast<double>(std::max<size_t>(n_series, 1)));
}

std::string whisker(double x, double y_lo, double y_hi, const char* color) {
  return fmt::format(
      "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" "
      "stroke-width=\"1.2\" stroke-opacity=\"0.7\"/>\n"
      "<line x1=\"{4:.1f}\" y1=\"{1:.1f}\" x2=\"{5:.1f}\" y2=\"{1:.1f}\" stroke=\"{3}\" "
      "stroke-opacity=\"0.7\"/>\n"
      "<line x1=\"{4:.1f}\" y1=\"{2:.1f}\" x2=\"{5:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" "
      "stroke-opacity=\"0.7\"/>\n",
      x, y_lo, y_hi, color, x - 2.5, x + 2.5);
}

std::string category_labels(const Chart& chart) {
  std::string out;
  size_t longest = 0;
  for (const auto& c : chart.categories) longest = std::max(longest, c.size());
  const double slot = (kWidth - kRight - kLeft) / static_cast<double>(chart.categories.size());
  const bool rotate = static_cast<double>(longest) * 6.5 > slot;
  for (size_t i = 0; i < chart.categories.size(); ++i) {
    const double x = kLeft + slot * (static_cast<double>(i) + 0.5);
    const double y = kHeight - kBottom + 15;
    out += rotate ? fmt::format(
                        "<text x=\"{0:.1f}\" y=\"{1:.0f}\" font-size=\"10\" text-anchor=\"end\" "
                        "transform=\"rotate(-25 {0:.1f} {1:.0f})\">{2}</text>\n",
                        x, y, escape(chart.categories[i]))
                  : fmt::format(
                        "<text x=\"{:.1f}\" y=\"{:.0f}\" font-size=\"11\" "
                        "text-anchor=\"middle\">{}</text>\n",
                        x, y, escape(chart.categories[i]));
  }
  return out;
}

}  // namespace

std::string render_svg(const Chart& chart) {
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" viewBox=\"0 0 "
      "{:.0f} {:.0f}\" "
      "role=\"img\" aria-label=\"{}\">\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
      "<text x=\"{:.0f}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{}</text>\n",
      kWidth, kHeight, kWidth, kHeight, escape(chart.title), kLeft, escape(chart.title));
  const auto [y_min, y_max] = y_extent(chart);
  if (!(y_min <= y_max)) return out + "<text x=\"70\" y=\"60\">no data</text>\n</svg>\n";
  const auto [y_top, y_step] = linear_axis(y_max);
  const Scale ys = chart.log_y
                       ? Scale{nice_floor(y_min), nice_ceil(y_max), true, kHeight - kBottom, kTop}
                       : Scale{0, y_top, false, kHeight - kBottom, kTop};
  // Axes and the y grid.
  out += fmt::format(
      "<line x1=\"{0:.0f}\" y1=\"{1:.0f}\" x2=\"{0:.0f}\" y2=\"{2:.0f}\" stroke=\"#333\"/>\n",
      kLeft, kTop, kHeight - kBottom);
  out += fmt::format(
      "<line x1=\"{0:.0f}\" y1=\"{1:.0f}\" x2=\"{2:.0f}\" y2=\"{1:.0f}\" stroke=\"#333\"/>\n",
      kLeft, kHeight - kBottom, kWidth - kRight);
  for (double v : axis_ticks(ys, y_step)) {
    out += fmt::format(
        "<text x=\"{:.0f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">{}</text>\n",
        kLeft - 6, ys(v) + 4, tick_text(v));
    out += fmt::format(
        "<line x1=\"{:.0f}\" y1=\"{:.1f}\" x2=\"{:.0f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", kLeft,
        ys(v), kWidth - kRight, ys(v));
  }
  out += fmt::format(
      "<text x=\"{:.0f}\" y=\"{:.0f}\" font-size=\"12\" text-anchor=\"middle\">{}</text>\n",
      (kLeft + kWidth - kRight) / 2, kHeight - 8, escape(chart.x_title));
  out += fmt::format(
      "<text x=\"16\" y=\"{:.0f}\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 "
      "16 {:.0f})\">{}{}</text>\n",
      (kTop + kHeight - kBottom) / 2, (kTop + kHeight - kBottom) / 2, escape(chart.y_title),
      chart.log_y ? ", log scale" : "");
  const bool bands = std::any_of(chart.series.begin(), chart.series.end(),
                                 [](const ChartSeries& s) { return !s.y_lo.empty(); });
  if (bands) {
    out += fmt::format(
        "<text x=\"{:.0f}\" y=\"34\" font-size=\"11\" fill=\"#555\">Whiskers: the 80% band "
        "of measured runs around each estimate</text>\n",
        kLeft);
  }

  const bool categories = chart.kind == Chart::Kind::kCategories;
  Scale xs{0, 1, false, kLeft, kWidth - kRight};
  if (categories) {
    out += category_labels(chart);
  } else {
    double x_lo = std::numeric_limits<double>::infinity(), x_hi = 0;
    for (const auto& s : chart.series) {
      for (double x : s.x) {
        x_lo = std::min(x_lo, x);
        x_hi = std::max(x_hi, x);
      }
    }
    double x_step = 0;
    if (chart.log_x) {
      x_lo = nice_floor(std::max(x_lo, 1e-9));
      x_hi = nice_ceil(std::max(x_hi, x_lo * 10));
    } else {
      std::tie(x_hi, x_step) = linear_axis(x_hi);
      x_lo = 0;
    }
    xs = Scale{x_lo, x_hi, chart.log_x, kLeft, kWidth - kRight};
    for (double v : axis_ticks(xs, x_step)) {
      out += fmt::format(
          "<text x=\"{:.1f}\" y=\"{:.0f}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n",
          xs(v), kHeight - kBottom + 16, tick_text(v));
    }
  }
  for (size_t k = 0; k < chart.series.size(); ++k) {
    const auto& s = chart.series[k];
    const char* color = kPalette[k % std::size(kPalette)];
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i]) || (chart.log_y && s.y[i] <= 0)) continue;
      const double px = categories ? category_x(static_cast<size_t>(s.x[i]), k,
                                                chart.categories.size(), chart.series.size())
                                   : xs(s.x[i]);
      const double lo = band_end(s.y_lo, i), hi = band_end(s.y_hi, i);
      if (std::isfinite(lo) && std::isfinite(hi) && (!chart.log_y || lo > 0))
        out += whisker(px, ys(lo), ys(hi), color);
      const std::string label = i < s.labels.size() ? s.labels[i] : s.name;
      const bool strong =
          std::find(chart.highlight.begin(), chart.highlight.end(), label) != chart.highlight.end();
      const std::string where =
          categories ? chart.categories[static_cast<size_t>(s.x[i])] : tick_text(s.x[i]);
      const std::string band =
          std::isfinite(lo) && std::isfinite(hi)
              ? fmt::format(" (80% band {} to {})", tick_text(lo), tick_text(hi))
              : "";
      out += marker(
          k, px, ys(s.y[i]), strong ? 6 : 4, color,
          strong ? R"( stroke="#000" stroke-width="2")" : "",
          fmt::format("{}: {}, {}{}", escape(label), escape(where), tick_text(s.y[i]), band));
    }
    // The legend fits the chart's height: rows close up (and the text shrinks) for many series.
    const double row = legend_row(chart.series.size());
    const double top = kTop + row * static_cast<double>(k);
    out +=
        marker(k, kWidth - kRight + 17, top + 5, std::min(4.5, row / 3), color, "", escape(s.name));
    out += fmt::format("<text x=\"{:.0f}\" y=\"{:.1f}\" font-size=\"{:.0f}\">{}</text>\n",
                       kWidth - kRight + 26, top + 9, std::min(11.0, row - 1), escape(s.name));
  }
  return out + "</svg>\n";
}

std::string render_chart_text(const Chart& chart) {
  std::string out;
  constexpr int kBar = 40;
  const double y_hi = y_extent(chart).second;
  auto line = [&](const std::string& label, const ChartSeries& s, size_t i) {
    const int n = y_hi > 0 ? static_cast<int>(std::lround(kBar * s.y[i] / y_hi)) : 0;
    const double lo = band_end(s.y_lo, i), hi = band_end(s.y_hi, i);
    const std::string band =
        std::isfinite(lo) && std::isfinite(hi) ? fmt::format(" ({:.3g}-{:.3g})", lo, hi) : "";
    return fmt::format("  {:<22} {:<{}} {:.3g}{}\n", label.substr(0, 22),
                       std::string(static_cast<size_t>(std::max(n, 0)), '#'), kBar, s.y[i], band);
  };
  if (chart.kind == Chart::Kind::kCategories) {
    for (size_t c = 0; c < chart.categories.size(); ++c) {
      out += chart.categories[c] + "\n";
      for (const auto& s : chart.series) {
        for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
          if (static_cast<size_t>(s.x[i]) == c && std::isfinite(s.y[i])) out += line(s.name, s, i);
        }
      }
    }
  } else {
    for (const auto& s : chart.series) {
      if (chart.series.size() > 1) out += s.name + "\n";
      for (size_t i = 0; i < s.y.size(); ++i)
        out += line(i < s.labels.size() ? s.labels[i] : fmt::format("{:.3g}", s.x[i]), s, i);
    }
  }
  const bool bands = std::any_of(chart.series.begin(), chart.series.end(),
                                 [](const ChartSeries& s) { return !s.y_lo.empty(); });
  return out + fmt::format("  ({} against {}{})\n", chart.y_title, chart.x_title,
                           bands ? "; 80% band in brackets" : "");
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
      "th{background:#f0f0f0}figure{margin:1em 0}"
      ".verdict{border-left:4px solid #1b6ca8;padding:0.2em "
      "1em;background:#f5f8fb}</style>\n</head>\n<body>\n<h1>hwplan "
      "report</h1>\n";
  out += fmt::format("<p>hwplan {} ({}), {}</p>\n", escape(report.context.tool_version),
                     escape(report.context.git_sha), escape(report.context.utc_time));
  // A verdict answers first; then the charts, then the tables behind them.
  size_t first_table = 0;
  if (!report.tables.empty() && report.tables.front().key == "verdict") {
    // Sentences, not a table: they wrap on a phone instead of scrolling sideways.
    const auto& verdict = report.tables.front();
    out += fmt::format("<h2>{}</h2>\n<div class=\"verdict\">\n", escape(verdict.title));
    for (const auto& row : verdict.rows) {
      if (!row.empty() && !verdict.columns.empty())
        out += "<p>" + escape(cell_text(row.front(), verdict.columns.front())) + "</p>\n";
    }
    out += "</div>\n";
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
