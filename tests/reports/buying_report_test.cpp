// The buying report built from the bundled profiles: what it compares, what it recommends and
// how its charts carry the bands.
#include "reports/buying_report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "planner/profiles.h"
#include "planner/quant_spec.h"

namespace hwplan::reports {
namespace {

const planner::ProfileDb& db() {
  static const planner::ProfileDb kProfiles = planner::load_profile_db(HWPLAN_TEST_PROFILES_DIR);
  return kProfiles;
}

BuyingModel model(const std::string& id) {
  BuyingModel m;
  m.spec = planner::find_model(db(), id).spec;
  m.weights = planner::build_inventory(m.spec, planner::find_quant(db().quants, "q4_k_m"));
  m.workload.context_tokens = 8192;
  return m;
}

BuyingQuestion question(const std::vector<std::string>& machines,
                        const std::vector<std::string>& models, double min_tps) {
  BuyingQuestion q;
  for (const auto& id : machines) q.machines.push_back(planner::find_hardware(db(), id));
  for (const auto& id : models) q.models.push_back(model(id));
  q.cloud = planner::find_hardware(db(), "h100-sxm");
  q.terms.min_tps = min_tps;
  return q;
}

const Table& table(const Report& r, const std::string& key) {
  for (const auto& t : r.tables) {
    if (t.key == key) return t;
  }
  throw std::runtime_error("no table " + key);
}

// The pick (second column) of the recommendation whose need starts with `need`.
std::string pick(const Report& r, const std::string& need) {
  for (const auto& row : table(r, "recommendations").rows) {
    if (std::get<std::string>(row[0]).rfind(need, 0) == 0)
      return std::holds_alternative<std::string>(row[1]) ? std::get<std::string>(row[1]) : "-";
  }
  return "no row";
}

TEST(BuyingReport, MachinesWithoutPriceOrOverBudgetAreLeftOutWithANote) {
  std::vector<planner::HardwareSpec> machines = {planner::find_hardware(db(), "rtx-3090"),
                                                 planner::find_hardware(db(), "m3-ultra-512")};
  machines.back().price_usd.reset();
  std::vector<std::string> notes;
  const auto in_scope = machines_in_scope(machines, 0, notes);
  ASSERT_EQ(in_scope.size(), 1u);
  EXPECT_EQ(in_scope.front()->id, "rtx-3090");
  EXPECT_EQ(notes, std::vector<std::string>{"m3-ultra-512: left out (no price in its profile)."});
  notes.clear();
  EXPECT_THROW(machines_in_scope({planner::find_hardware(db(), "rtx-3090")}, 500, notes), Error);
  EXPECT_EQ(notes.size(), 1u);
}

TEST(BuyingReport, SetPriceReplacesThePartsWithTheGivenFigure) {
  auto h = planner::find_hardware(db(), "rtx-3090");
  set_price(h, 999);
  EXPECT_EQ(*h.price_usd, 999);
  ASSERT_EQ(h.price_parts.size(), 1u);
  EXPECT_EQ(h.price_parts.front().usd, 999);
  EXPECT_EQ(h.price_date, "set with --price");
}

TEST(BuyingReport, VerdictComesFirstAndEveryPairingHasARow) {
  Report r;
  add_buying_report(question({"rtx-3090", "strix-halo-128"}, {"llama-3.1-8b", "llama-3.1-70b"}, 4),
                    db(), r);
  ASSERT_FALSE(r.tables.empty());
  EXPECT_EQ(r.tables.front().key, "verdict");
  EXPECT_EQ(table(r, "models").rows.size(), 4u);
  EXPECT_EQ(table(r, "machines").rows.size(), 2u);
  // Every recommendation that picks a machine carries its band.
  const auto& rec = table(r, "recommendations");
  ASSERT_EQ(rec.columns[4].key, "decode_band");
  size_t picks = 0;
  for (const auto& row : rec.rows) {
    if (!std::holds_alternative<std::string>(row[1])) continue;
    ++picks;
    EXPECT_EQ(std::get<std::string>(row[4]).rfind("+-", 0), 0u) << std::get<std::string>(row[0]);
  }
  EXPECT_GE(picks, 8u);
}

TEST(BuyingReport, ThePriceDecidesTheChatPick) {
  // The 70B at >= 4 tok/s: the Strix Halo (unified 128 GB) runs it that fast, the RTX 3090 desktop
  // (24 GB, most layers in host RAM) does not; both hold it, so capacity goes to the cheaper.
  auto q = question({"rtx-3090", "strix-halo-128"}, {"llama-3.1-8b", "llama-3.1-70b"}, 4);
  Report r;
  add_buying_report(q, db(), r);
  EXPECT_EQ(pick(r, "chat"), "strix-halo-128");
  EXPECT_EQ(pick(r, "capacity"), "rtx-3090");
  // The same machines with the Strix Halo priced under the RTX 3090 desktop: capacity moves too.
  set_price(q.machines[1], 1000);
  Report cheaper;
  add_buying_report(q, db(), cheaper);
  EXPECT_EQ(pick(cheaper, "capacity"), "strix-halo-128");
}

TEST(BuyingReport, ChartsHaveOneCategoryPerModelSmallestFirstWithBands) {
  Report r;
  add_buying_report(question({"rtx-3090", "m3-ultra-96"}, {"llama-3.1-70b", "llama-3.1-8b"}, 10),
                    db(), r);
  ASSERT_EQ(r.charts.size(), 3u);
  for (const auto* key : {"decode_per_model", "tok_per_dollar"}) {
    const auto it = std::find_if(r.charts.begin(), r.charts.end(),
                                 [&](const Chart& c) { return c.key == key; });
    ASSERT_NE(it, r.charts.end()) << key;
    EXPECT_EQ(it->kind, Chart::Kind::kCategories);
    EXPECT_EQ(it->categories, (std::vector<std::string>{"llama-3.1-8b", "llama-3.1-70b"}));
    ASSERT_EQ(it->series.size(), 2u);
    for (const auto& s : it->series) {
      ASSERT_EQ(s.y.size(), 2u) << s.name;  // both machines run both models
      for (size_t i = 0; i < s.y.size(); ++i) {
        EXPECT_LT(s.y_lo[i], s.y[i]);
        EXPECT_GT(s.y_hi[i], s.y[i]);
        // The band is symmetric around the estimate (+- the decode band's fraction).
        EXPECT_NEAR(s.y[i] - s.y_lo[i], s.y_hi[i] - s.y[i], 1e-9 * s.y[i]);
      }
    }
  }
  // The decode chart's values are the models table's decode column, model by model.
  const auto& speed = r.charts.front();
  const auto& models = table(r, "models");
  for (const auto& row : models.rows) {
    const auto& model_id = std::get<std::string>(row[0]);
    const auto& hw = std::get<std::string>(row[1]);
    const size_t slot = model_id == "llama-3.1-8b" ? 0 : 1;
    for (const auto& s : speed.series) {
      if (s.name != hw) continue;
      for (size_t i = 0; i < s.x.size(); ++i) {
        if (static_cast<size_t>(s.x[i]) == slot) {
          EXPECT_DOUBLE_EQ(s.y[i], std::get<double>(row[3]));
        }
      }
    }
  }
}

// The models table's row for a machine (empty when it has none).
std::vector<Cell> models_row(const Report& r, const std::string& hw) {
  for (const auto& row : table(r, "models").rows) {
    if (std::get<std::string>(row[1]) == hw) return row;
  }
  return {};
}

double decode_on(const Report& r, const std::string& hw) {
  const auto row = models_row(r, hw);
  return row.empty() ? std::nan("") : std::get<double>(row[3]);
}

TEST(BuyingReport, AnEngineRunsEveryMachineItCanAndLeavesOutTheRest) {
  auto q = question({"rtx-3090", "m3-ultra-96"}, {"llama-3.1-8b"}, 10);
  Report llama;
  add_buying_report(q, db(), llama);
  q.terms.engine = "mlx";
  Report mlx;
  add_buying_report(q, db(), mlx);
  // MLX runs on Apple GPUs only: the RTX 3090 desktop is left out and says why.
  EXPECT_EQ(table(mlx, "machines").rows.size(), 1u);
  EXPECT_NE(std::find(mlx.notes.begin(), mlx.notes.end(),
                      "rtx-3090: left out (mlx does not run on its cuda backend)."),
            mlx.notes.end());
  // The Mac's decode is llama.cpp's times MLX's fitted ratio (calibration.json).
  const double ratio = planner::find_engine(db().efficiency.engines, "mlx").decode_ratio;
  EXPECT_NEAR(decode_on(mlx, "m3-ultra-96"), ratio * decode_on(llama, "m3-ultra-96"),
              1e-9 * decode_on(mlx, "m3-ultra-96"));
  // Several users with MLX: its batching as its published runs at concurrency show (a fitted
  // share of the peak), said in the Why; llama.cpp's says its products grow per sequence.
  auto users_why = [](const Report& r) {
    for (const auto& row : table(r, "recommendations").rows) {
      if (std::get<std::string>(row[0]).find("users of") != std::string::npos)
        return std::get<std::string>(row.back());
    }
    return std::string();
  };
  EXPECT_NE(users_why(mlx).find("mlx's batching as its published runs at several users show"),
            std::string::npos)
      << users_why(mlx);
  EXPECT_NE(users_why(llama).find("llama.cpp's efficiencies"), std::string::npos)
      << users_why(llama);
  // --engine all: every machine stays; each runs the fastest engine that runs there, loads the
  // weights and has enough published runs behind its factor (MLX's on the Mac; on CUDA
  // ExLlamaV2's six, faster than llama.cpp, while vLLM's two do not count), named in the Why.
  q.terms.engine = "all";
  Report all;
  add_buying_report(q, db(), all);
  EXPECT_EQ(table(all, "machines").rows.size(), 2u);
  EXPECT_DOUBLE_EQ(decode_on(all, "m3-ultra-96"), decode_on(mlx, "m3-ultra-96"));
  const auto& exl2 = planner::find_engine(db().efficiency.engines, "exllamav2");
  ASSERT_TRUE(planner::engine_has_own_band(exl2));
  ASSERT_GT(exl2.decode_ratio, 1.0);
  EXPECT_NEAR(decode_on(all, "rtx-3090"), exl2.decode_ratio * decode_on(llama, "rtx-3090"),
              1e-9 * decode_on(all, "rtx-3090"));
  EXPECT_FALSE(planner::engine_has_own_band(planner::find_engine(db().efficiency.engines, "vllm")));
  EXPECT_EQ(std::get<std::string>(models_row(all, "m3-ultra-96").back()).rfind("mlx: ", 0), 0u);
  EXPECT_EQ(std::get<std::string>(models_row(all, "rtx-3090").back()).rfind("exllamav2: ", 0), 0u);
  q.terms.engine = "no-such-engine";
  Report none;
  EXPECT_THROW(add_buying_report(q, db(), none), Error);
}

}  // namespace
}  // namespace hwplan::reports
