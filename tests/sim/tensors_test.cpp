// sim/tensors.hpp: the seeded tensors, the reference convolution (against hand-computed tiny
// layers, a plain matrix multiply and a naive 7-loop convolution) and the functional check's
// messages.

#include "sim/tensors.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "spec/error.hpp"
#include "spec/layer.hpp"

namespace metronome::sim {
namespace {

Layer make_layer(LayerType type, std::int64_t n, std::int64_t k, std::int64_t c, std::int64_t r,
                 std::int64_t s, std::int64_t y, std::int64_t x, std::int64_t stride = 1,
                 std::int64_t pad = 0) {
  Layer l;
  l.name = "L";
  l.type = type;
  l.size[Dim::N] = n;
  l.size[Dim::K] = k;
  l.size[Dim::C] = c;
  l.size[Dim::R] = r;
  l.size[Dim::S] = s;
  l.size[Dim::Y] = y;
  l.size[Dim::X] = x;
  l.stride_y = l.stride_x = stride;
  l.pad_y = l.pad_x = pad;
  l.validate();
  return l;
}

Layer conv(std::int64_t k, std::int64_t c, std::int64_t r, std::int64_t s, std::int64_t y,
           std::int64_t x, std::int64_t stride = 1, std::int64_t pad = 0) {
  return make_layer(LayerType::Conv, 1, k, c, r, s, y, x, stride, pad);
}

std::vector<std::int64_t> reference(const Layer& layer, const LayerTensors& t) {
  std::vector<std::int64_t> out;
  reference_output(layer, t, out);
  return out;
}

// Naive convolution straight from the definition, all seven loops, wrapping arithmetic.
std::vector<std::int64_t> naive(const Layer& l, const LayerTensors& t) {
  const bool ds = l.type == LayerType::DsConv;
  const std::int64_t N = l.size[Dim::N], K = l.size[Dim::K], C = l.size[Dim::C];
  const std::int64_t R = l.size[Dim::R], S = l.size[Dim::S], Y = l.size[Dim::Y], X = l.size[Dim::X];
  const std::int64_t OY = l.out_rows(), OX = l.out_cols();
  const std::int64_t OK = ds ? C : K;
  std::vector<std::int64_t> out(static_cast<std::size_t>(N * OK * OY * OX), 0);
  const auto& in = t.words[Tensor::Input];
  const auto& w = t.words[Tensor::Weight];
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t k = 0; k < OK; ++k)
      for (std::int64_t oy = 0; oy < OY; ++oy)
        for (std::int64_t ox = 0; ox < OX; ++ox) {
          std::uint64_t acc = 0;
          for (std::int64_t c = 0; c < C; ++c) {
            if (ds && c != k) continue;
            for (std::int64_t r = 0; r < R; ++r)
              for (std::int64_t s = 0; s < S; ++s) {
                const std::int64_t y = oy * l.stride_y + r, x = ox * l.stride_x + s;
                const std::int64_t wi = ds ? (c * R + r) * S + s : ((k * C + c) * R + r) * S + s;
                acc += static_cast<std::uint64_t>(
                           in[static_cast<std::size_t>(((n * C + c) * Y + y) * X + x)]) *
                       static_cast<std::uint64_t>(w[static_cast<std::size_t>(wi)]);
              }
          }
          out[static_cast<std::size_t>(((n * OK + k) * OY + oy) * OX + ox)] =
              static_cast<std::int64_t>(acc);
        }
  return out;
}

TEST(Tensors, Reference1x1Conv) {
  const Layer l = conv(2, 2, 1, 1, 1, 2);
  LayerTensors t;
  t.words[Tensor::Input] = {1, 2, 3, 4};    // c0: [1 2], c1: [3 4]
  t.words[Tensor::Weight] = {1, -1, 2, 0};  // k0: [1 -1], k1: [2 0]
  EXPECT_EQ(reference(l, t), (std::vector<std::int64_t>{-2, -2, 2, 4}));
}

TEST(Tensors, Reference3x3Stride2Padded) {
  // A 3x3 input 1..9 padded by 1 (5x5), a 3x3 filter 1..9, stride 2: a 2x2 output.
  const Layer l = conv(1, 1, 3, 3, 5, 5, 2, 1);
  ASSERT_EQ(l.out_rows(), 2);
  LayerTensors t;
  t.words[Tensor::Input] = {0, 0, 0, 0, 0,  //
                            0, 1, 2, 3, 0,  //
                            0, 4, 5, 6, 0,  //
                            0, 7, 8, 9, 0,  //
                            0, 0, 0, 0, 0};
  t.words[Tensor::Weight] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  // out[0][0] = 1*5 + 2*6 + 4*8 + 5*9 = 94; out[0][1] = 2*4 + 3*5 + 5*7 + 6*8 = 106, ...
  EXPECT_EQ(reference(l, t), (std::vector<std::int64_t>{94, 106, 106, 94}));
}

TEST(Tensors, ReferenceDepthwise) {
  LayerTensors t;
  t.words[Tensor::Input] = {1, 2, 3, 4, 5, 6, 7, 8};   // c0 [[1 2][3 4]], c1 [[5 6][7 8]]
  t.words[Tensor::Weight] = {1, 0, 0, 1, 1, 1, 1, 1};  // c0 identity diagonal, c1 all ones
  // K == C and K == 1 both mean one filter per channel, Weight[C][R][S].
  for (std::int64_t k : {2, 1}) {
    const Layer l = make_layer(LayerType::DsConv, 1, k, 2, 2, 2, 2, 2);
    EXPECT_EQ(reference(l, t), (std::vector<std::int64_t>{5, 26})) << "K = " << k;
  }
}

TEST(Tensors, ReferenceGemmIsMatrixMultiply) {
  // out[m][n] = sum_k A[m][k] B[k][n], M = 3 -> K, K = 4 -> C, N = 5 -> Y.
  const std::int64_t M = 3, K = 4, N = 5;
  const Layer l = make_layer(LayerType::Gemm, 1, M, K, 1, 1, N, 1);
  const LayerTensors t = make_tensors(l, 7);
  const auto& w = t.words[Tensor::Weight];  // A[m][k]
  const auto& in = t.words[Tensor::Input];  // B[k][n]
  std::vector<std::int64_t> expected;
  for (std::int64_t m = 0; m < M; ++m)
    for (std::int64_t n = 0; n < N; ++n) {
      std::int64_t sum = 0;
      for (std::int64_t k = 0; k < K; ++k)
        sum += w[static_cast<std::size_t>(m * K + k)] * in[static_cast<std::size_t>(k * N + n)];
      expected.push_back(sum);
    }
  EXPECT_EQ(reference(l, t), expected);
}

TEST(Tensors, ReferenceMatchesNaiveConvolution) {
  const std::vector<Layer> layers = {
      make_layer(LayerType::Conv, 2, 3, 4, 3, 2, 9, 8, 2, 1),
      make_layer(LayerType::Conv, 1, 5, 3, 5, 5, 11, 12, 3, 2),
      make_layer(LayerType::Conv, 1, 4, 2, 1, 1, 6, 7, 2, 0),
      make_layer(LayerType::DsConv, 2, 6, 6, 3, 3, 9, 10, 2, 1),
      make_layer(LayerType::DsConv, 1, 1, 5, 3, 3, 8, 8, 1, 1),
  };
  for (const Layer& l : layers) {
    const LayerTensors t = make_tensors(l, 123);
    EXPECT_EQ(reference(l, t), naive(l, t)) << layer_type_name(l.type) << " K=" << l.size[Dim::K];
  }
}

TEST(Tensors, ReferenceWrapsInTwosComplement) {
  const Layer l = conv(1, 2, 1, 1, 1, 1);
  LayerTensors t;
  t.words[Tensor::Input] = {INT64_MAX, 1};
  t.words[Tensor::Weight] = {1, 1};
  EXPECT_EQ(reference(l, t), (std::vector<std::int64_t>{INT64_MIN}));
}

TEST(Tensors, ValuesAreDeterministicAndPaddingIsZero) {
  const Layer l = make_layer(LayerType::Conv, 2, 3, 4, 3, 3, 8, 9, 1, 2);
  const LayerTensors a = make_tensors(l, 1), b = make_tensors(l, 1), c = make_tensors(l, 2);
  for (Tensor t : kAllTensors)
    EXPECT_EQ(a.words[t].size(), static_cast<std::size_t>(l.tensor_words(t)));
  EXPECT_EQ(a.words, b.words);
  EXPECT_NE(a.words[Tensor::Input], c.words[Tensor::Input]);
  EXPECT_NE(a.words[Tensor::Weight], c.words[Tensor::Weight]);
  for (std::int64_t v : a.words[Tensor::Output]) EXPECT_EQ(v, 0);

  const TensorLayout L(l);
  std::int64_t nonzero = 0;
  for (std::int64_t n = 0; n < 2; ++n)
    for (std::int64_t ch = 0; ch < 4; ++ch)
      for (std::int64_t y = 0; y < 8; ++y)
        for (std::int64_t x = 0; x < 9; ++x) {
          const std::int64_t i = L.input_index(n, ch, y, x);
          const std::int64_t v = a.words[Tensor::Input][static_cast<std::size_t>(i)];
          const bool pad = y < 2 || y >= 6 || x < 2 || x >= 7;
          if (pad) {
            EXPECT_EQ(v, 0) << "padding at n=" << n << " c=" << ch << " y=" << y << " x=" << x;
          } else {
            EXPECT_EQ(v, tensor_value(1, Tensor::Input, i));
            nonzero += v != 0;
          }
        }
  EXPECT_GT(nonzero, 2 * 4 * 4 * 5 / 2);
  for (const auto& words : {a.words[Tensor::Input], a.words[Tensor::Weight]})
    for (std::int64_t v : words) {
      EXPECT_GE(v, -8);
      EXPECT_LE(v, 7);
    }
}

// Pins the generator (values computed independently from the documented formula), so tensors
// stay the same across platforms, standard libraries and refactorings.
TEST(Tensors, GeneratorIsPinned) {
  const std::vector<std::int64_t> input0 = {6, -2, -8, 7, -7, -3, -6, 4};
  const std::vector<std::int64_t> weight42 = {7, -3, 0, -6, 4, -4, -6, -3};
  for (std::int64_t i = 0; i < 8; ++i) {
    EXPECT_EQ(tensor_value(0, Tensor::Input, i), input0[static_cast<std::size_t>(i)]);
    EXPECT_EQ(tensor_value(42, Tensor::Weight, i), weight42[static_cast<std::size_t>(i)]);
  }
  EXPECT_EQ(tensor_value(UINT64_MAX, Tensor::Input, 2), -5);
}

TEST(Tensors, IndexHelpersFollowTheDocumentedLayouts) {
  const Layer l = make_layer(LayerType::Conv, 2, 3, 4, 3, 2, 9, 8, 2, 0);  // Y' 4, X' 4
  const TensorLayout L(l);
  EXPECT_EQ(L.input_index(1, 2, 3, 4), ((1 * 4 + 2) * 9 + 3) * 8 + 4);
  EXPECT_EQ(L.weight_index(2, 3, 1, 1), ((2 * 4 + 3) * 3 + 1) * 2 + 1);
  EXPECT_EQ(L.output_index(1, 2, 3, 0), ((1 * 3 + 2) * 4 + 3) * 4 + 0);
  const Layer ds = make_layer(LayerType::DsConv, 1, 4, 4, 3, 3, 6, 6);  // Y' 4, X' 4
  const TensorLayout D(ds);
  EXPECT_EQ(D.weight_index(0, 3, 2, 1), (3 * 3 + 2) * 3 + 1);  // Weight[C][R][S]
  EXPECT_EQ(D.output_index(0, 3, 1, 2), (3 * 4 + 1) * 4 + 2);  // Output[N][C][Y'][X']
}

TEST(Tensors, RefusesHugeLayers) {
  Layer l = conv(4096, 4096, 3, 3, 4096, 4096);
  l.name = "huge";
  l.where = {"net.m", 12};
  try {
    (void)make_tensors(l, 1);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.where().line, 12);
    EXPECT_NE(what.find("net.m:12"), std::string::npos) << what;
    EXPECT_NE(what.find("'huge'"), std::string::npos) << what;
    EXPECT_NE(what.find(std::to_string(l.tensor_words(Tensor::Input))), std::string::npos) << what;
    EXPECT_NE(what.find(std::to_string(kMaxTensorWords)), std::string::npos) << what;
  }
}

TEST(Tensors, CompareOutputsMessages) {
  const Layer l = make_layer(LayerType::Conv, 2, 3, 2, 1, 1, 2, 4);  // output [2][3][2][4]
  const LayerTensors t = make_tensors(l, 5);
  const std::vector<std::int64_t> expected = reference(l, t);
  ASSERT_EQ(expected.size(), 48u);
  FunctionalCheck ok = compare_outputs(l, expected, expected);
  EXPECT_TRUE(ok.pass);
  EXPECT_EQ(ok.message, "pass");

  std::vector<std::int64_t> got = expected;
  const TensorLayout L(l);
  const auto at = [&](std::int64_t n, std::int64_t k, std::int64_t y, std::int64_t x) -> auto& {
    return got[static_cast<std::size_t>(L.output_index(n, k, y, x))];
  };
  at(1, 2, 0, 3) += 1;
  at(1, 0, 1, 2) = 1000;  // first in row-major order
  const FunctionalCheck bad = compare_outputs(l, expected, got);
  EXPECT_FALSE(bad.pass);
  EXPECT_EQ(bad.message,
            "fail: output[n=1,k=0,y'=1,x'=2] expected " +
                std::to_string(expected[static_cast<std::size_t>(L.output_index(1, 0, 1, 2))]) +
                " got 1000 (2 of 48 output words differ)");

  got.pop_back();
  const FunctionalCheck size = compare_outputs(l, expected, got);
  EXPECT_FALSE(size.pass);
  EXPECT_EQ(size.message, "fail: output has 47 words, expected 48");

  const Layer ds = make_layer(LayerType::DsConv, 1, 1, 3, 1, 1, 2, 2);  // output [1][3][2][2]
  std::vector<std::int64_t> e(12, 0), g(12, 0);
  g[7] = -4;  // c = 1, y' = 1, x' = 1
  EXPECT_EQ(compare_outputs(ds, e, g).message,
            "fail: output[n=0,c=1,y'=1,x'=1] expected 0 got -4 (1 of 12 output words differ)");
}

}  // namespace
}  // namespace metronome::sim
