// The CUDA matrix-vector products against the exact dequantization in double precision, and the
// timed weight passes running at all; skipped (with the reason) where there is no usable GPU.
#include "kernels/cuda_matvec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/quantize.h"
#include "kernels/weight_format.h"

namespace hwplan::kernels {
namespace {

void skip_without_gpu() {
  const auto d = cuda::check_device();
  if (!d.present) GTEST_SKIP() << d.reason;
}

TEST(CudaMatvec, EveryFormatMatchesExactDequantization) {
  skip_without_gpu();
  if (::testing::Test::IsSkipped()) return;
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int64_t rows = 67, cols = 1024;  // rows not a multiple of the 8 rows per thread block
  std::vector<float> w(static_cast<size_t>(rows * cols)), x(static_cast<size_t>(cols));
  for (auto& v : w) v = normal(rng);
  for (auto& v : x) v = normal(rng);
  const std::pair<WeightFormat, cuda::CudaFormat> formats[] = {
      {WeightFormat::kF16, cuda::CudaFormat::kF16},
      {WeightFormat::kQ8_0, cuda::CudaFormat::kQ8_0},
      {WeightFormat::kQ4_0, cuda::CudaFormat::kQ4_0},
      {WeightFormat::kQ4K, cuda::CudaFormat::kQ4K}};
  for (const auto& [format, cuda_format] : formats) {
    SCOPED_TRACE(format_name(format));
    const int64_t rb = row_bytes(format, cols);
    std::vector<uint8_t> q(static_cast<size_t>(rows * rb));
    std::vector<float> deq(static_cast<size_t>(cols)), y(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r)
      quantize_row(format, w.data() + r * cols, q.data() + r * rb, cols);
    cuda::matvec_host(cuda_format, q.data(), rows, cols, rb, x.data(), y.data());
    for (int64_t r = 0; r < rows; ++r) {
      dequantize_row(format, q.data() + r * rb, deq.data(), cols);
      double exact = 0, scale = 0;
      for (int64_t i = 0; i < cols; ++i) {
        const double t =
            static_cast<double>(deq[static_cast<size_t>(i)]) * x[static_cast<size_t>(i)];
        exact += t;
        scale += std::fabs(t);
      }
      EXPECT_NEAR(y[static_cast<size_t>(r)], exact, 1e-5 * scale) << "row " << r;
    }
  }
}

TEST(CudaMatvec, WeightPassesRunResidentAndStreamed) {
  skip_without_gpu();
  if (::testing::Test::IsSkipped()) return;
  const std::vector<cuda::PassMatrix> matrices = {
      {cuda::CudaFormat::kF16, 2048, 2048, row_bytes(WeightFormat::kF16, 2048)},
      {cuda::CudaFormat::kQ4_0, 8192, 2048, row_bytes(WeightFormat::kQ4_0, 2048)},
      {cuda::CudaFormat::kQ4K, 2048, 8192, row_bytes(WeightFormat::kQ4K, 8192)}};
  for (auto placement : {cuda::CudaPlacement::kResident, cuda::CudaPlacement::kStreamed}) {
    const auto seconds = cuda::time_weight_passes(matrices, placement, 3);
    ASSERT_EQ(seconds.size(), 3u);
    for (double s : seconds) EXPECT_GT(s, 0.0);
  }
}

}  // namespace
}  // namespace hwplan::kernels
