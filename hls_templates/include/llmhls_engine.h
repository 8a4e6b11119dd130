// llmhls channel-parallel decode engine: the parameterized HLS building blocks.
//
// Decode at batch 1 reads every weight once per token, so its speed is the
// memory's. The engine reads every memory channel at once: the weights are
// laid out offline (compiler/llm/engine/layout.py) as one sequential stream
// per channel, and the kernel's dataflow region is
//
//   dispatch ──requests──► load_channel × N ──512-bit words──► compute
//       └──────────tokens───────────────────────────────────────┘    ▲
//   load_aux ──norms, biases, position rows (kVec floats a vector)────┘
//
// * `load_channel`: one free-running loader per channel port. It reads its
//   channel's words in order (II = 1 bursts), layer after layer, prefetching
//   across layer and phase boundaries (weights never depend on activations);
//   before each token it fetches the token's embedding row when that row lives
//   on its channel.
// * `gemv_unit`: the processing units, one per channel, unrolled; one set serves
//   every matrix phase of its format (the phase's shape is a run-time `Shape`), and
//   each unit writes its results to a bank of its own (`UnitBanks`), which `gather`
//   moves into the vector unit's arrays. Each 512-bit word
//   holds SUB lanes of ROWS rows; a unit unpacks them (16 fp32 / 32 fp16 /
//   64 int8 / 2 x 64 int4 lanes), multiplies with the on-chip activation
//   broadcast and reduces with an adder tree. int8/int4 lanes multiply integer
//   activations (int16, one scale per word's 64 lanes) and sum in integers, applying
//   scale (and minimum) once per row (int8) or group (int4):
//   s * sx * sum(q * xq) + m * sum(x). IL >= 8 row groups are interleaved word
//   by word, so each row's running sum is updated every 8th cycle, more than
//   the fp32 add latency (6 cycles at 300 MHz): the loop keeps II = 1.
// * the vector unit (`rms_norm`, `rope`, `silu_mul`, `attention`, ...): the
//   work between the matrix phases, on chip in fp32.
//
// Stream of one channel for one matrix phase (row group rg = round * N + c):
// blocks of up to 8 rounds; a block of b rounds holds its meta words (b *
// ROWS * PRF floats, packed 16 per word: int8 row scales, int4 group
// scale/minimum pairs) then its data words, word w of round r at w * b + r.
#ifndef LLMHLS_ENGINE_H
#define LLMHLS_ENGINE_H

#include <cstdint>

#include "hls_math.h"
#include "hls_stream.h"
#include "hls_vector.h"

namespace llmhls {
namespace engine {

typedef hls::vector<uint32_t, 16> word_t;  // one 512-bit beat

enum Format { kFp32 = 0, kFp16 = 1, kInt8 = 2, kInt4 = 3 };
constexpr int kInterleave = 8;   // fewest row groups in flight per unit (> fp32 add latency)
constexpr int kWordLanes = 16;   // 32-bit lanes per word
constexpr float kActLevels = 32767.0f;  // int16 activations for the int8/int4 units
constexpr int kVec = 64;       // vector-unit lanes: elements per cycle of its loops
constexpr int kPartials = 8;   // running sums per reduction, > fp32 add latency

// ---------------------------------------------------------------- bits and halves
inline float as_float(uint32_t bits) {
  union {
    uint32_t u;
    float f;
  } v;
  v.u = bits;
  return v.f;
}

inline uint32_t as_bits(float value) {
  union {
    uint32_t u;
    float f;
  } v;
  v.f = value;
  return v.u;
}

// IEEE half bits -> float, exact (subnormals included).
inline float half_to_float(uint32_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1Fu;
  const uint32_t mantissa = h & 0x3FFu;
  if (exponent == 0) {
    const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;  // 2^-24
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return as_float(sign | 0x7F800000u | (mantissa << 13));
  return as_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

// float -> IEEE half bits, round to nearest even (as PyTorch's .half()).
inline uint16_t float_to_half(float value) {
  const uint32_t bits = as_bits(value);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const uint32_t magnitude = bits & 0x7FFFFFFFu;
  if (magnitude >= 0x7F800000u) {  // inf or NaN
    return static_cast<uint16_t>(sign | 0x7C00u | (magnitude > 0x7F800000u ? 0x200u : 0u));
  }
  if (magnitude >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // rounds to inf
  if (magnitude < 0x38800000u) {  // below the smallest normal half: subnormal or zero
    const float scaled = as_float(magnitude) * 16777216.0f;  // units of 2^-24, exact
    uint32_t q = static_cast<uint32_t>(scaled);
    const float rest = scaled - static_cast<float>(q);
    if (rest > 0.5f || (rest == 0.5f && (q & 1u))) ++q;
    return static_cast<uint16_t>(sign | q);
  }
  uint32_t half = ((magnitude >> 13) - (112u << 10));
  const uint32_t rest = magnitude & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;
  return static_cast<uint16_t>(sign | half);
}

// The KV cache's element formats. int8 rows carry a scale each (one per kv head and
// position: the row's largest magnitude over 127, in k_scale/v_scale); `scale` and its
// `inverse` are 1 for the others.
template <typename T>
struct KvCodec;
template <>
struct KvCodec<float> {
  static constexpr bool kScaled = false;
  static float load(float v, float) { return v; }
  static float store(float v, float) { return v; }
};
template <>
struct KvCodec<uint16_t> {
  static constexpr bool kScaled = false;
  static float load(uint16_t v, float) { return half_to_float(v); }
  static uint16_t store(float v, float) { return float_to_half(v); }
};
template <>
struct KvCodec<int8_t> {
  static constexpr bool kScaled = true;
  static float load(int8_t v, float scale) { return static_cast<float>(v) * scale; }
  static int8_t store(float v, float inverse) {  // to nearest, half away from zero
    const float x = v * inverse;
    const float r = x + (x >= 0.0f ? 0.5f : -0.5f);
    const int32_t q = static_cast<int32_t>(r);
    return static_cast<int8_t>(q > 127 ? 127 : (q < -127 ? -127 : q));
  }
};

inline int16_t round_to_int16(float v) {  // half away from zero: one add
  const float r = v + (v >= 0.0f ? 0.5f : -0.5f);
  return static_cast<int16_t>(static_cast<int32_t>(r));
}

// ---------------------------------------------------------------- reductions
// Vitis keeps float additions in source order (it reassociates them only under unsafe
// math), so a sum written as a loop is a chain N adds deep: every float reduction the
// cycle model prices as a balanced tree is written out as one.
struct FloatAdd {
  float operator()(float a, float b) const { return a + b; }
};
struct FabricAdd {  // on LUTs: where the DSPs hold the products
  float operator()(float a, float b) const {
    const float s = a + b;
#pragma HLS bind_op variable = s op = fadd impl = fabric
    return s;
  }
};

template <int N, typename Add = FloatAdd>
float tree_sum(const float* v, Add add = Add()) {
#pragma HLS inline
  float level[N];
#pragma HLS array_partition variable = level complete
  for (int i = 0; i < N; ++i) level[i] = v[i];
  for (int width = N; width > 1; width = (width + 1) / 2) {
    for (int i = 0; i < width / 2; ++i) level[i] = add(level[2 * i], level[2 * i + 1]);
    if (width % 2) level[width / 2] = level[width - 1];
  }
  return level[0];
}

// A cache row's scale and its inverse (KvCodec): int8, max|x| / 127 over the row's D values
// (a balanced tree of compares); 1 for the unscaled formats.
struct RowScale {
  float scale;
  float inverse;
};

struct FloatMax {
  float operator()(float a, float b) const { return a > b ? a : b; }
};

template <typename KV, int D>
RowScale row_scale(const float* x) {
#pragma HLS inline
  if (!KvCodec<KV>::kScaled) return {1.0f, 1.0f};
  float magnitudes[D];
  for (int d = 0; d < D; ++d) magnitudes[d] = x[d] >= 0.0f ? x[d] : -x[d];
  const float largest = tree_sum<D, FloatMax>(magnitudes);
  if (largest == 0.0f) return {0.0f, 0.0f};
  return {largest / 127.0f, 127.0f / largest};
}

// ---------------------------------------------------------------- layout arithmetic
// Rounds (row groups) channel c holds of a phase with rg row groups over n channels.
constexpr int channel_rounds(int rg, int n, int c) { return c < rg ? (rg - c + n - 1) / n : 0; }

// Rounds in block k (blocks of `il` rounds) of channel c (0 when it has no such block).
constexpr int block_rounds(int rg, int n, int c, int k, int il) {
  return channel_rounds(rg, n, c) - il * k >= il
             ? il
             : (channel_rounds(rg, n, c) - il * k > 0 ? channel_rounds(rg, n, c) - il * k : 0);
}

// Meta values a word holds: int4's scale/minimum pairs are fp16 (32 a word), int8's row
// scales fp32 (16 a word).
constexpr int meta_per_word(int fmt) { return fmt == kInt4 ? 2 * kWordLanes : kWordLanes; }

constexpr int meta_words(int rounds, int rows, int prf, int mpw) {
  return (rounds * rows * prf + mpw - 1) / mpw;
}

// A meta word's values as floats (MPW of them).
template <int MPW>
void unpack_meta(const word_t& wd, float* out) {
#pragma HLS inline
  for (int i = 0; i < kWordLanes; ++i) {
    if (MPW == 2 * kWordLanes) {
      out[2 * i] = half_to_float(wd[i] & 0xFFFFu);
      out[2 * i + 1] = half_to_float(wd[i] >> 16);
    } else {
      out[i] = as_float(wd[i]);
    }
  }
}

// Where row `row` of a matrix phase lies: its channel and the words to fetch.
struct RowAddress {
  int channel;
  int index;       // row within its row group
  int round;       // round within its block
  int meta_first;  // first meta word, relative to the channel's phase base
  int meta_count;
  int data_first;  // first data word; the row's words follow at `stride`
  int stride;
};

template <int ROWS, int N, int W, int PRF, int RG, int IL, int MPW>
RowAddress row_address(int row) {
  RowAddress a;
  const int rg = row / ROWS;
  a.channel = rg % N;
  a.index = row % ROWS;
  const int round = rg / N;
  const int k = round / IL;
  a.round = round % IL;
  const int b = block_rounds(RG, N, a.channel, k, IL);
  const int base = k * (meta_words(IL, ROWS, PRF, MPW) + W * IL);
  const int first_value = (a.round * ROWS + a.index) * PRF;
  a.meta_first = base + first_value / MPW;
  a.meta_count = PRF > 0 ? (first_value + PRF - 1) / MPW - first_value / MPW + 1 : 0;
  a.data_first = base + meta_words(b, ROWS, PRF, MPW) + a.round;
  a.stride = b;
  return a;
}

// ---------------------------------------------------------------- lanes
template <int FMT>
struct Lanes;
template <>
struct Lanes<kFp32> {
  static const int kSub = 16;
  static float get(const word_t& w, int, int e) { return as_float(w[e]); }
};
template <>
struct Lanes<kFp16> {
  static const int kSub = 32;
  static float get(const word_t& w, int, int e) {
    return half_to_float((w[e / 2] >> (16 * (e % 2))) & 0xFFFFu);
  }
};
template <>
struct Lanes<kInt8> {
  static const int kSub = 64;
  static int32_t get(const word_t& w, int, int e) {
    return static_cast<int8_t>((w[e / 4] >> (8 * (e % 4))) & 0xFFu);
  }
};
template <>
struct Lanes<kInt4> {
  static const int kSub = 64;  // lanes per row; a word holds two rows' 64 nibbles
  static int32_t get(const word_t& w, int row, int e) {
    const int n = row * 64 + e;
    return static_cast<int32_t>((w[n / 8] >> (4 * (n % 8))) & 0xFu);
  }
};

// The activation vectors of one matrix phase, one per row of a step (T rows: the
// tokens of a prefill chunk, or one for a decode step), broadcast to every unit.
template <int IN, int T>
struct Activation {
  float x[T][IN];
  int16_t xq[T][IN];  // int8/int4 units: x / sx rounded, sx per chunk of kVec
  float sx[T][(IN + kVec - 1) / kVec];
  float group_sum[T][IN / 32 > 0 ? IN / 32 : 1];  // int4 units: sum of x per group of 32
};

// Rows r_out.. r_out + rows - 1 of the activation a matrix phase of format FMT reads, in
// one pass of kVec elements a cycle through every row (the rows one after another in one
// pipeline, so its depth is paid once a step, not once a row): x itself; for int8/int4
// units also x / sx in int16, with sx = max|x| / 32767 over the kVec elements of the
// cycle (one word's lanes, so a unit scales each word's integer sum by its own sx), and
// for int4 each group of 32's sum. `pad` elements of a row (the phase's padded inputs,
// <= IN) are written: x's n, then zeros; x[j] of row t is read(t, j). With `normed`, x
// is first RMS-normalized on the way in: weight[j] * (x[j] * inverse_rms[t]), so the norm
// costs no pass of its own (`rms_inverse_rows` gives `inverse_rms`).
template <int FMT, int IN, int T, typename Reader>
void prepare_rows(const Reader& read, int rows, int n, int pad, bool normed, const float* weight,
                  const float* inverse_rms, Activation<IN, T>& a, int r_out) {
#pragma HLS inline
  const int chunks = (pad + kVec - 1) / kVec;
  int t = 0;  // the row, and its chunk: counters, not a division
  int i = 0;
PREPARE:
  for (int k = 0; k < rows * chunks; ++k) {
#pragma HLS loop_tripcount min = 1 max = T * ((IN + kVec - 1) / kVec)
#pragma HLS pipeline II = 1
    const int r = r_out + t;
    float values[kVec];
    float peak = 0.0f;
    for (int e = 0; e < kVec; ++e) {
      const int j = i * kVec + e;
      const bool inside = j < n && j < pad;
      const float raw = inside ? read(t, j) : 0.0f;
      const float v = normed && inside ? weight[j] * (raw * inverse_rms[t]) : raw;
      values[e] = v;
      if (j < pad) a.x[r][j] = v;
      const float magnitude = v < 0.0f ? -v : v;
      peak = magnitude > peak ? magnitude : peak;
    }
    if (FMT == kInt4) {
      for (int g = 0; g < kVec / 32; ++g) {
        const float sum = tree_sum<32>(&values[g * 32]);
        const int group = i * (kVec / 32) + g;
        if (group < pad / 32) a.group_sum[r][group] = sum;
      }
    }
    if (FMT == kInt8 || FMT == kInt4) {
      const bool zero = peak == 0.0f;
      a.sx[r][i] = zero ? 1.0f : peak / kActLevels;
      const float inverse = zero ? 1.0f : kActLevels / peak;
      for (int e = 0; e < kVec; ++e) {
        const int j = i * kVec + e;
        if (j < pad) a.xq[r][j] = round_to_int16(values[e] * inverse);
      }
    }
    if (++i == chunks) {
      i = 0;
      ++t;
    }
  }
}

// q in [0, 15] times x on LUTs (bind_op impl=fabric): a 4-bit multiplier is four shifted,
// masked adds, no DSP.
inline int32_t nibble_times(int32_t q, int32_t x) {
  const int32_t product = q * x;
#pragma HLS bind_op variable = product op = mul impl = fabric
  return product;
}

// One weight row's partial dot product with word `w` of its row group, for activation row t.
template <int FMT, int IN, int T>
float word_dot(const word_t& wd, int row, int w, const Activation<IN, T>& a, int t,
               const float* meta) {
#pragma HLS inline
  constexpr int kSub = Lanes<FMT>::kSub;
  static_assert(FMT < kInt8 || kSub == kVec, "an integer unit's word is one activation chunk");
  if (FMT == kFp32 || FMT == kFp16) {  // the adder tree on LUTs: the DSPs hold the products
    float products[kSub];
    for (int e = 0; e < kSub; ++e) {
      products[e] = static_cast<float>(Lanes<FMT>::get(wd, row, e)) * a.x[t][w * kSub + e];
    }
    return tree_sum<kSub>(products, FabricAdd());
  }
  if (FMT == kInt8) {
    int32_t sum = 0;
    const int16_t* x = &a.xq[t][w * kSub];
    for (int u = 0; u < kWordLanes; ++u) {
      const uint32_t bits = wd[u];
      for (int k = 0; k < 4; ++k) {
        sum += static_cast<int8_t>((bits >> (8 * k)) & 0xFFu) * x[u * 4 + k];
      }
    }
    return static_cast<float>(sum) * (meta[0] * a.sx[t][w]);
  }
  float part = 0.0f;  // int4: groups of 32 lanes (4 x 32 bits), each with scale and minimum
  for (int g = 0; g < kSub / 32; ++g) {
    int32_t sum = 0;
    const int16_t* x = &a.xq[t][w * kSub + g * 32];
    for (int u = 0; u < 4; ++u) {
      const uint32_t bits = wd[row * 8 + g * 4 + u];
      for (int k = 0; k < 8; ++k) {
        sum += nibble_times(static_cast<int32_t>((bits >> (4 * k)) & 0xFu), x[u * 8 + k]);
      }
    }
    const int group = w * (kSub / 32) + g;
    part += static_cast<float>(sum) * (meta[2 * group] * a.sx[t][w]) +
            meta[2 * group + 1] * a.group_sum[t][group];
  }
  return part;
}

// A matrix phase's shape as a set of units takes it at run time: every phase of one
// format runs on one set of units (`#pragma HLS allocation` in the kernel), so its
// words, row groups, meta values, interleave and blocks are arguments, not constants.
struct Shape {
  int words;         // W: data words per row group
  int row_groups;    // RG
  int meta_per_row;  // PRF: meta values per row (int8 1, int4 2 a group of 32)
  int interleave;    // IL: rounds per block, >= kInterleave
  int blocks;        // blocks of channel 0, which holds the most rounds
  int meta_words;    // meta words a full block streams
};

// The units' results, unit b = c * ROWS + i (channel c, row i of its word) in bank b: the
// NR results a cycle each go to their own bank. A bank is split M ways by slot (the
// unit's row group: round k * IL + r) so that GATHER reads NR x M banks at once; slot s
// of row slice k (rows k * P + p) is at [b][p][s % M][(s / M) * slices + k].
template <int NR, int P, int M, int DEPTH>
struct UnitBanks {
  float y[NR][P][M][DEPTH];
};

// Each row's R best results (largest first, the first of equals first: PyTorch's argmax
// for rank 0) as the units produce them, kept per unit and accumulator cell (the cell a
// row's results are summed in, so no compare waits on the one before) and reduced by
// `best_of` (rank 0) or `best_ranks` (all R). This is the on-chip argmax of a Medusa
// tree's rows and the top-R of the heads' guesses: their logits never leave the chip.
template <int NR, int P, int CELLS, int R = 1>
struct BestCells {
  float v[NR][P][CELLS][R];
  int32_t j[NR][P][CELLS][R];
};

template <int NR, int P, int CELLS, int R>
void reset_best(BestCells<NR, P, CELLS, R>& best) {
#pragma HLS inline
BEST_RESET:
  for (int cell = 0; cell < CELLS; ++cell) {
#pragma HLS pipeline II = 1
    for (int b = 0; b < NR; ++b) {
      for (int p = 0; p < P; ++p) {
        for (int r = 0; r < R; ++r) {
          best.v[b][p][cell][r] = -3.0e38f;
          best.j[b][p][cell][r] = 0x7fffffff;
        }
      }
    }
  }
}

// (v, j) into a list of R kept largest first: it goes before the first entry it beats
// (`ahead`: larger, or equal with a smaller j), the entries after it move down one and
// the last drops out. Every compare runs at once: one compare and a select deep.
template <int R>
inline void insert_ranked(float* kv, int32_t* kj, float v, int32_t j, bool keep_first) {
#pragma HLS inline
  bool ahead[R];
  for (int r = 0; r < R; ++r) {
    ahead[r] = v > kv[r] || (!keep_first && v == kv[r] && j < kj[r]);
  }
  for (int r = R - 1; r >= 0; --r) {  // from the last, so each entry moves before it is read
    if (ahead[r]) {
      const bool moved = r > 0 && ahead[r - 1];
      kv[r] = moved ? kv[r - 1] : v;
      kj[r] = moved ? kj[r - 1] : j;
    }
  }
}

// Result row j = slot * NR + b (below `limit`, the matrix's real rows) of activation row
// t = slice * P + p, into its cell's R best: a cell sees its rows in increasing order, so
// equals keep the first.
template <int NR, int P, int CELLS, int R>
inline void keep_best(BestCells<NR, P, CELLS, R>& best, float v, int slot, int b, int p,
                      int cell, int limit) {
#pragma HLS inline
  const int32_t j = slot * NR + b;
  if (j < limit) insert_ranked<R>(best.v[b][p][cell], best.j[b][p][cell], v, j, true);
}

// Row t's argmax over every unit and cell (row slice t / P of IL rounds a block).
template <int SLICES, int NR, int P, int CELLS, int R>
int32_t best_of(const BestCells<NR, P, CELLS, R>& best, int t) {
#pragma HLS inline off
  float v = -3.0e38f;
  int32_t j = 0x7fffffff;
BEST_ROW:
  for (int i = 0; i < NR * (CELLS / SLICES); ++i) {
#pragma HLS pipeline II = 1
    const int b = i % NR;
    const int cell = (i / NR) * SLICES + t / P;
    const float cv = best.v[b][t % P][cell][0];
    const int32_t cj = best.j[b][t % P][cell][0];
    if (cv > v || (cv == v && cj < j)) {
      v = cv;
      j = cj;
    }
  }
  return j;
}

// Row t's R best rows over every unit and cell, largest first (equals: the smaller row
// first), into `out`: every cell's R kept entries, one an iteration, into a running list.
template <int SLICES, int NR, int P, int CELLS, int R>
void best_ranks(const BestCells<NR, P, CELLS, R>& best, int t, int32_t* out) {
#pragma HLS inline off
  float v[R];
  int32_t j[R];
#pragma HLS array_partition variable = v complete
#pragma HLS array_partition variable = j complete
  for (int r = 0; r < R; ++r) {
    v[r] = -3.0e38f;
    j[r] = 0x7fffffff;
  }
BEST_RANKS:
  for (int i = 0; i < NR * (CELLS / SLICES) * R; ++i) {
#pragma HLS pipeline II = 1
    const int r = i % R;
    const int b = (i / R) % NR;
    const int cell = (i / (R * NR)) * SLICES + t / P;
    insert_ranked<R>(v, j, best.v[b][t % P][cell][r], best.j[b][t % P][cell][r], false);
  }
  for (int r = 0; r < R; ++r) out[r] = j[r];
}

// The layer units' results into their banks, or (`track`, the LM head of a Medusa tree)
// only each row's best into `best`.
template <int NR, int P, int M, int DEPTH, int CELLS = 1, int R = 1>
struct BankSink {
  UnitBanks<NR, P, M, DEPTH>& banks;
  int slices;
  BestCells<NR, P, CELLS, R>* best = nullptr;
  bool track = false;
  int limit = 0;
  void put(float v, int slot, int b, int slice, int p, int cell) {
    if (track) {
      keep_best(*best, v, slot, b, p, cell, limit);
    } else {
      banks.y[b][p][slot % M][(slot / M) * slices + slice] = v;
    }
  }
};

// A separate LM head's units: unit b's rows, in order, into stream b (one activation row);
// or (`track`) each row's best into `best`, P rows a cycle.
template <int NR, int P = 1, int CELLS = 1, int R = 1>
struct StreamsSink {
  hls::stream<float>* rows;
  BestCells<NR, P, CELLS, R>* best = nullptr;
  bool track = false;
  int limit = 0;
  void put(float v, int slot, int b, int, int p, int cell) {
    if (track) {
      keep_best(*best, v, slot, b, p, cell, limit);
    } else {
      rows[b].write(v);
    }
  }
};

// Y = W X for one matrix phase and the `n_rows` (<= ROWS_MAX) activation rows of a step: row groups of
// ROWS weight rows over N channels. Every weight word read serves all n_rows rows: the
// unit holds the word and takes P rows a cycle over ceil(n_rows / P) cycles (P, the row
// lanes, is sized to the part: P x the word's lanes multipliers).
// One flat pipelined loop over every block's meta and data steps (counters, no division),
// so the pipeline fills once per matrix. A block holds IL >= kInterleave rounds: a running
// sum is updated every IL x slices >= 8 cycles.
template <int FMT, int ROWS, int N, int IN, int T, int P, int IL_MAX, int META_MAX,
          int ROWS_MAX, typename Sink>
void gemv_unit(hls::stream<word_t> s[N], const Activation<IN, T>& a, int n_rows,
               const Shape& shape, Sink& sink) {
#pragma HLS inline
  static_assert(ROWS_MAX <= T && ROWS_MAX % P == 0, "the row lanes must divide the rows");
  constexpr int kMpw = meta_per_word(FMT);
  constexpr int kSlices = ROWS_MAX / P;  // most cycles a word is held
  const int slices = (n_rows + P - 1) / P;
  const int il = shape.interleave;
  const int steps = shape.blocks * (shape.meta_words + shape.words * il * slices);
  float meta[N][META_MAX * kMpw > 0 ? META_MAX * kMpw : 1];
  float acc[N][ROWS][P][IL_MAX * kSlices];
#pragma HLS array_partition variable = meta dim = 1 complete
#pragma HLS array_partition variable = acc dim = 1 complete
#pragma HLS array_partition variable = acc dim = 2 complete
#pragma HLS array_partition variable = acc dim = 3 complete
  int rounds[N];  // this block's rounds per channel
  int metas[N];   // and their meta words
  word_t held[N];  // the word each unit serves the step's rows from
#pragma HLS array_partition variable = rounds complete
#pragma HLS array_partition variable = metas complete
#pragma HLS array_partition variable = held complete
  int k = 0;      // block
  int j = 0;      // meta step within the block
  int w = 0;      // data word of the row group
  int r = 0;      // round within the block
  int slice = 0;  // rows slice * P.. of the held word
GEMV:
  for (int it = 0; it < steps; ++it) {
#pragma HLS loop_tripcount min = 1 max = 65536
#pragma HLS pipeline II = 1
#pragma HLS dependence variable = acc type = inter distance = kInterleave true
    if (j == 0 && w == 0 && r == 0 && slice == 0) {
      for (int c = 0; c < N; ++c) {
        rounds[c] = block_rounds(shape.row_groups, N, c, k, il);
        metas[c] = meta_words(rounds[c], ROWS, shape.meta_per_row, kMpw);
      }
    }
    if (j < shape.meta_words) {
      for (int c = 0; c < N; ++c) {
#pragma HLS unroll
        if (j < metas[c]) unpack_meta<kMpw>(s[c].read(), &meta[c][j * kMpw]);
      }
      ++j;
      continue;
    }
    for (int c = 0; c < N; ++c) {
#pragma HLS unroll
      if (r >= rounds[c]) continue;
      if (slice == 0) held[c] = s[c].read();
      for (int i = 0; i < ROWS; ++i) {
        for (int p = 0; p < P; ++p) {
          const int t = slice * P + p;
          if (t >= n_rows) continue;
          const float part = word_dot<FMT, IN, T>(held[c], i, w, a, t,
                                                  &meta[c][(r * ROWS + i) * shape.meta_per_row]);
          const float v = w == 0 ? part : acc[c][i][p][r * kSlices + slice] + part;
          acc[c][i][p][r * kSlices + slice] = v;
          if (w == shape.words - 1) {
            sink.put(v, k * il + r, c * ROWS + i, slice, p, r * kSlices + slice);
          }
        }
      }
    }
    if (++slice == slices) {
      slice = 0;
      if (++r == il) {
        r = 0;
        if (++w == shape.words) {  // the block's last word: on to the next block
          w = 0;
          j = 0;
          ++k;
        }
      }
    }
  }
}

// Row t (slice t / P, lane t % P) of a phase's `n` results from the units' banks into `out`
// (partitioned by kVec), L elements an iteration: L is a multiple of NR x M and of kVec,
// so the bank each element comes from and goes to is a compile-time constant. With ADD the
// results add into `out` (the residual). II is what the banks' two ports allow
// (compiler/llm/engine/banks.py).
template <int NR, int P, int M, int DEPTH, int L, int II, bool ADD>
void gather(const UnitBanks<NR, P, M, DEPTH>& banks, int t, int slices, int n, float* out) {
#pragma HLS inline
  static_assert(L % (NR * M) == 0 && L % kVec == 0, "a tile's banks must be constants");
GATHER:
  for (int g = 0; g < (n + L - 1) / L; ++g) {
#pragma HLS loop_tripcount min = 1 max = 64
#pragma HLS pipeline II = II
    for (int e = 0; e < L; ++e) {
      const int j = g * L + e;
      if (j >= n) continue;
      const int slot = g * (L / NR) + e / NR;
      const float v = banks.y[e % NR][t % P][(e / NR) % M][(slot / M) * slices + t / P];
      out[j] = ADD ? out[j] + v : v;
    }
  }
}

// The LM head's logits (one row) from the units' banks, L floats (whole 512-bit beats) an
// iteration.
template <int NR, int P, int M, int DEPTH, int L, int II, int VOCAB>
void write_logits(const UnitBanks<NR, P, M, DEPTH>& banks, float* logits) {
  static_assert(L % (NR * M) == 0 && L % 16 == 0, "a tile's banks must be constants");
LOGITS:
  for (int g = 0; g < (VOCAB + L - 1) / L; ++g) {
#pragma HLS pipeline II = II
    for (int e = 0; e < L; ++e) {
      const int j = g * L + e;
      if (j < VOCAB) logits[j] = banks.y[e % NR][0][(e / NR) % M][(g * (L / NR) + e / NR) / M];
    }
  }
}

// The logits as a separate LM head's units stream their rows (row j from stream j % NR),
// L floats an iteration: L / NR reads of each stream and L / 16 beats.
// With `skip` (a Medusa tree's rows, which keep only their argmax) the units stream nothing.
template <int NR, int L, int II, int VOCAB, int ROWS_OUT>
void write_logits(hls::stream<float> rows[NR], float* logits, bool skip = false) {
  static_assert(L % NR == 0 && L % 16 == 0, "a tile's streams must be constants");
LOGITS:
  for (int g = 0; g < (skip ? 0 : (ROWS_OUT + L - 1) / L); ++g) {
#pragma HLS pipeline II = II
    for (int e = 0; e < L; ++e) {
      const int j = g * L + e;
      if (j >= ROWS_OUT) continue;
      const float v = rows[e % NR].read();
      if (j < VOCAB) logits[j] = v;
    }
  }
}

// One row of a matrix (the token embedding) from its data words and meta floats.
template <int FMT, int W, int II = 1>
void decode_row(const word_t* words, int row, const float* meta, float* out, int n) {
#pragma HLS inline
  constexpr int kSub = Lanes<FMT>::kSub;
DECODE_ROW:
  for (int w = 0; w < W; ++w) {
#pragma HLS pipeline II = II
    for (int e = 0; e < kSub; ++e) {
      const int i = w * kSub + e;
      if (i >= n) continue;
      const float q = static_cast<float>(Lanes<FMT>::get(words[w], row, e));
      if (FMT == kInt8) {
        out[i] = q * meta[0];
      } else if (FMT == kInt4) {
        out[i] = q * meta[2 * (i / 32)] + meta[2 * (i / 32) + 1];
      } else {
        out[i] = q;
      }
    }
  }
}

// ---------------------------------------------------------------- a step's rows
// Which of a step's own rows row t sees (slot s: position base + s in the cache) and where
// row r sits after the step's first position: the earlier rows and r, a prompt's causal
// order. A kernel that verifies Medusa trees passes its tree's (ancestors, depth) and a
// run-time flag choosing it.
struct CausalSteps {
  static bool sees(int t, int s) { return s <= t; }
  static int offset(int r) { return r; }
};

// Whether row t of a step whose first position is `base` sees cache position `pos`: every
// position before the step, and of the step's own rows those its order (`tree`: TREE's,
// else the causal one) lets it see.
template <typename TREE>
inline bool step_sees(bool tree, int base, int pos, int t) {
  if (pos < base) return true;
  return tree ? TREE::sees(t, pos - base) : CausalSteps::sees(t, pos - base);
}

// ---------------------------------------------------------------- loaders
// Tokens in the step that starts at token `first` of a call of n_tokens (steps of T).
inline int32_t step_rows(int32_t n_tokens, int32_t first, int T) {
  return n_tokens - first < T ? n_tokens - first : T;
}

struct Request {
  int32_t meta_first;  // < 0: no embedding row on this channel for this token
  int32_t meta_count;
  int32_t data_first;
  int32_t stride;
  int32_t count;
};

// One free-running loader: per step of up to T tokens, the embedding rows that live
// here, then every layer's words in order (once for the whole step), then the LM head's
// on the last step of a call; when the call asks for the Medusa heads' guesses
// (medusa_words > 0), then their blocks and guessing vocabulary's rows (from medusa_base)
// and again_words of the LM head once more (the heads guess among every token).
template <int T, int CTX>
void load_channel(const word_t* port, hls::stream<Request>& requests, hls::stream<word_t>& out,
                  int32_t n_tokens, int32_t layer_words, int32_t head_words,
                  int32_t lookup_base, int32_t medusa_base = 0, int32_t medusa_words = 0,
                  int32_t again_words = 0) {
STEPS:
  for (int32_t first = 0; first < n_tokens; first += T) {
#pragma HLS loop_tripcount min = 1 max = (CTX + T - 1) / T
    const int32_t rows = step_rows(n_tokens, first, T);
  EMBED_ROWS:
    for (int32_t r = 0; r < rows; ++r) {
#pragma HLS loop_tripcount min = 1 max = T
      const Request q = requests.read();
      if (q.meta_first >= 0) {
      EMBED_META:
        for (int32_t i = 0; i < q.meta_count; ++i) out.write(port[lookup_base + q.meta_first + i]);
      EMBED_DATA:
        for (int32_t i = 0; i < q.count; ++i) {
          out.write(port[lookup_base + q.data_first + i * q.stride]);
        }
      }
    }
    const int32_t words = layer_words + (first + rows == n_tokens ? head_words : 0);
  STREAM:
    for (int32_t i = 0; i < words; ++i) {
#pragma HLS pipeline II = 1
      out.write(port[i]);
    }
    if (first + rows == n_tokens && medusa_words > 0) {
    MEDUSA_STREAM:
      for (int32_t i = 0; i < medusa_words; ++i) {
#pragma HLS pipeline II = 1
        out.write(port[medusa_base + i]);
      }
    HEAD_AGAIN:
      for (int32_t i = 0; i < again_words; ++i) {
#pragma HLS pipeline II = 1
        out.write(port[layer_words + i]);
      }
    }
  }
}

// ---------------------------------------------------------------- the aux loader
typedef hls::vector<float, kVec> aux_vec_t;  // kVec floats of `aux`: one vector-unit iteration

// Words first.. first + n of `aux` as vectors (4 words each).
inline void stream_aux(const word_t* aux, int32_t first, int32_t n, hls::stream<aux_vec_t>& out) {
#pragma HLS inline
  aux_vec_t v;
AUX_WORDS:
  for (int32_t w = 0; w < n; ++w) {
#pragma HLS loop_tripcount min = 4 max = 4096
#pragma HLS pipeline II = 1
    const word_t wd = aux[first + w];
    const int part = w % (kVec / kWordLanes);
    for (int e = 0; e < kWordLanes; ++e) v[part * kWordLanes + e] = as_float(wd[e]);
    if (part == kVec / kWordLanes - 1) out.write(v);
  }
}

// The norms, biases and position rows the vector unit reads, streamed in the order it
// reads them, running ahead of it by the stream's depth: per step of up to T tokens each
// row's position block, then every layer's block, then (the call's last step) the final
// norm's. Offsets and sizes are in floats, whole vectors.
template <int T, int CTX, int LAYERS, int LAYER, int FINAL, int POSITION,
          typename TREE = CausalSteps>
void load_aux(const word_t* aux, hls::stream<aux_vec_t>& out, int32_t n_tokens,
              int32_t start_pos, int32_t final_base, int32_t positions_base, bool tree = false) {
AUX_STEPS:
  for (int32_t first = 0; first < n_tokens; first += T) {
#pragma HLS loop_tripcount min = 1 max = (CTX + T - 1) / T
    const int32_t rows = step_rows(n_tokens, first, T);
  AUX_ROWS:
    for (int32_t r = 0; r < rows; ++r) {
#pragma HLS loop_tripcount min = 1 max = T
      const int32_t offset = first + (tree ? TREE::offset(r) : CausalSteps::offset(r));
      const int32_t block = positions_base + (start_pos + offset) * POSITION;
      stream_aux(aux, block / kWordLanes, POSITION / kWordLanes, out);
    }
    stream_aux(aux, 0, LAYERS * LAYER / kWordLanes, out);
    if (first + rows == n_tokens) stream_aux(aux, final_base / kWordLanes, FINAL / kWordLanes, out);
  }
}

// The next n vectors of the aux stream into `buffer` (partitioned by kVec).
inline void take_aux(hls::stream<aux_vec_t>& in, float* buffer, int n) {
#pragma HLS inline
AUX_TAKE:
  for (int i = 0; i < n; ++i) {
#pragma HLS loop_tripcount min = 1 max = 256
#pragma HLS pipeline II = 1
    const aux_vec_t v = in.read();
    for (int e = 0; e < kVec; ++e) buffer[i * kVec + e] = v[e];
  }
}

// ---------------------------------------------------------------- vector unit
// Every loop takes kVec elements an iteration; reductions keep kPartials running sums. The
// RMS sums and PREPARE run through a step's rows in one pipeline (`rms_inverse_rows`,
// `prepare_rows`); the others work on one row and are inlined into the loop over the rows. Where
// an elementwise loop runs at II > 1 (the compiler's choice, to fit the part), each of
// its operators serves II of the kVec lanes in turn.
template <int N>
float sum_of_squares(const float* x) {
#pragma HLS inline
  float partial[kPartials];
#pragma HLS array_partition variable = partial complete
  for (int i = 0; i < kPartials; ++i) partial[i] = 0.0f;
RMS_SUM:
  for (int i = 0; i < (N + kVec - 1) / kVec; ++i) {
#pragma HLS pipeline II = 1
#pragma HLS dependence variable = partial type = inter distance = 8 true
    float squares[kVec];
    for (int e = 0; e < kVec; ++e) {
      const int j = i * kVec + e;
      squares[e] = j < N ? x[j] * x[j] : 0.0f;
    }
    partial[i % kPartials] += tree_sum<kVec>(squares);
  }
  return tree_sum<kPartials>(partial);
}

// 1 / RMS(x) of rows first.. first + rows - 1 of x, for RMSNorm (llama): the scaling itself
// happens in `prepare_rows` (normed). The rows' sums run one after another in one pipeline
// (kPartials running sums a row), then each row's tail, a row a cycle.
template <int H, int T>
void rms_inverse_rows(const float x[T][H], int first, int rows, float eps, float* inverse) {
#pragma HLS inline
  constexpr int kChunks = (H + kVec - 1) / kVec;
  float partial[T][kPartials];
#pragma HLS array_partition variable = partial complete dim = 2
  int t = 0;  // the row, and its chunk
  int i = 0;
RMS_SUM:
  for (int k = 0; k < rows * kChunks; ++k) {
#pragma HLS loop_tripcount min = kChunks max = T * kChunks
#pragma HLS pipeline II = 1
#pragma HLS dependence variable = partial type = inter distance = 8 true
    float squares[kVec];
    for (int e = 0; e < kVec; ++e) {
      const int j = i * kVec + e;
      squares[e] = j < H ? x[first + t][j] * x[first + t][j] : 0.0f;
    }
    const float before = i < kPartials ? 0.0f : partial[t][i % kPartials];
    partial[t][i % kPartials] = before + tree_sum<kVec>(squares);
    if (++i == kChunks) {
      i = 0;
      ++t;
    }
  }
RMS_ROWS:
  for (int r = 0; r < rows; ++r) {
#pragma HLS loop_tripcount min = 1 max = T
#pragma HLS pipeline II = 1
    float sums[kPartials];
    for (int p = 0; p < kPartials; ++p) sums[p] = p < kChunks ? partial[r][p] : 0.0f;
    inverse[r] = hls::rsqrt(tree_sum<kPartials>(sums) / H + eps);
  }
}

// LayerNorm (GPT-2): mean and variance over H, then scale and shift.
template <int H>
void layer_norm(const float* x, const float* weight, const float* bias, float eps, float* out) {
#pragma HLS inline
  float partial[kPartials];
#pragma HLS array_partition variable = partial complete
  for (int i = 0; i < kPartials; ++i) partial[i] = 0.0f;
LN_SUM:
  for (int i = 0; i < (H + kVec - 1) / kVec; ++i) {
#pragma HLS pipeline II = 1
#pragma HLS dependence variable = partial type = inter distance = 8 true
    float values[kVec];
    for (int e = 0; e < kVec; ++e) values[e] = i * kVec + e < H ? x[i * kVec + e] : 0.0f;
    partial[i % kPartials] += tree_sum<kVec>(values);
  }
  const float mean = tree_sum<kPartials>(partial) / H;
  static float centered[H];
LN_CENTER:
  for (int i = 0; i < (H + kVec - 1) / kVec; ++i) {
#pragma HLS pipeline II = 1
    for (int e = 0; e < kVec; ++e) {
      if (i * kVec + e < H) centered[i * kVec + e] = x[i * kVec + e] - mean;
    }
  }
  const float inverse = hls::rsqrt(sum_of_squares<H>(centered) / H + eps);
LN_SCALE:
  for (int i = 0; i < (H + kVec - 1) / kVec; ++i) {
#pragma HLS pipeline II = 1
    for (int e = 0; e < kVec; ++e) {
      const int j = i * kVec + e;
      if (j < H) out[j] = centered[j] * inverse * weight[j] + bias[j];
    }
  }
}

// Rotate-half RoPE on `heads` heads of width D (the query heads, then the key heads that
// follow them in a qkv row), with this position's cos/sin (D/2 each), PAIRS pairs a cycle.
template <int D, int PAIRS, int II = 1>
void rope(float* x, int heads, const float* cos_half, const float* sin_half) {
#pragma HLS inline
ROPE:
  for (int i = 0; i < (heads * (D / 2) + PAIRS - 1) / PAIRS; ++i) {
#pragma HLS loop_tripcount min = 1 max = 64
#pragma HLS pipeline II = II
    for (int e = 0; e < PAIRS; ++e) {
      const int pair = i * PAIRS + e;
      if (pair >= heads * (D / 2)) continue;
      const int h = pair / (D / 2);
      const int d = pair % (D / 2);
      const float a = x[h * D + d];
      const float b = x[h * D + d + D / 2];
      x[h * D + d] = a * cos_half[d] - b * sin_half[d];
      x[h * D + d + D / 2] = b * cos_half[d] + a * sin_half[d];
    }
  }
}

template <int N, int II = 1>
void silu_mul(const float* gate, const float* up, float* out) {
#pragma HLS inline
SILU:
  for (int i = 0; i < (N + kVec - 1) / kVec; ++i) {
#pragma HLS pipeline II = II
    for (int e = 0; e < kVec; ++e) {
      const int j = i * kVec + e;
      if (j >= N) continue;
      const float g = gate[j];
      out[j] = g / (1.0f + hls::exp(-g)) * up[j];
    }
  }
}

// A Medusa head's output: x + SiLU(z + bias), an element a cycle (once a call, on one
// exp: its time is small beside the heads' GEMVs).
template <int N>
void silu_residual(const float* z, const float* bias, const float* x, float* out) {
#pragma HLS inline
HEAD_SILU:
  for (int j = 0; j < N; ++j) {
#pragma HLS pipeline II = 1
    const float g = z[j] + bias[j];
    out[j] = x[j] + g / (1.0f + hls::exp(-g));
  }
}

// GPT-2's tanh GELU: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).
template <int N, int II = 1>
void gelu(const float* x, float* out) {
#pragma HLS inline
GELU:
  for (int i = 0; i < (N + kVec - 1) / kVec; ++i) {
#pragma HLS pipeline II = II
    for (int e = 0; e < kVec; ++e) {
      const int j = i * kVec + e;
      if (j >= N) continue;
      const float v = x[j];
      out[j] = 0.5f * v * (1.0f + hls::tanh(0.7978845608f * (v + 0.044715f * v * v * v)));
    }
  }
}

// x += y (the residual, a bias), or with ADD false x = y (a copy).
template <int N, bool ADD = true>
void add_into(float* x, const float* y) {
#pragma HLS inline
RESIDUAL:
  for (int i = 0; i < (N + kVec - 1) / kVec; ++i) {
#pragma HLS pipeline II = 1
    for (int e = 0; e < kVec; ++e) {
      const int j = i * kVec + e;
      if (j < N) x[j] = ADD ? x[j] + y[j] : y[j];
    }
  }
}

// One layer's new K/V rows (kv_heads x D) into the cache at `pos`, 32 values a cycle
// (one 512-bit beat of fp16); int8 rows one kv head a cycle (a beat of codes), each with
// its scale into k_scales/v_scales ([kv_head][position], this layer's).
template <typename KV, int KVH, int CTX, int D>
void kv_store(const float* k, const float* v, KV* k_layer, KV* v_layer, float* k_scales,
              float* v_scales, int pos) {
#pragma HLS inline
  if (KvCodec<KV>::kScaled) {
  KV_STORE_ROWS:
    for (int h = 0; h < KVH; ++h) {
#pragma HLS pipeline II = 1
      const RowScale ks = row_scale<KV, D>(k + h * D);
      const RowScale vs = row_scale<KV, D>(v + h * D);
      for (int d = 0; d < D; ++d) {
        k_layer[(h * CTX + pos) * D + d] = KvCodec<KV>::store(k[h * D + d], ks.inverse);
        v_layer[(h * CTX + pos) * D + d] = KvCodec<KV>::store(v[h * D + d], vs.inverse);
      }
      k_scales[h * CTX + pos] = ks.scale;
      v_scales[h * CTX + pos] = vs.scale;
    }
    return;
  }
KV_STORE:
  for (int i = 0; i < (KVH * D + 31) / 32; ++i) {
#pragma HLS pipeline II = 1
    for (int e = 0; e < 32; ++e) {
      const int j = i * 32 + e;
      if (j >= KVH * D) continue;
      const int h = j / D;
      const int d = j % D;
      k_layer[(h * CTX + pos) * D + d] = KvCodec<KV>::store(k[j], 1.0f);
      v_layer[(h * CTX + pos) * D + d] = KvCodec<KV>::store(v[j], 1.0f);
    }
  }
}

// A cache row as attention reads it: from the cache (with its stored scale), or a step's
// own row from chip, rounded as kv_store stores it.
template <typename KV, int D>
void cache_row(bool cached, const KV* stored, const float* scales, int index, const float* own,
               float* row) {
#pragma HLS inline
  const RowScale own_scale = row_scale<KV, D>(own);
  const float scale = KvCodec<KV>::kScaled && cached ? scales[index] : own_scale.scale;
  for (int d = 0; d < D; ++d) {
    row[d] = cached ? KvCodec<KV>::load(stored[d], scale)
                    : KvCodec<KV>::load(KvCodec<KV>::store(own[d], own_scale.inverse), scale);
  }
}

// Causal attention of a step's `n_rows` query rows, at positions base..base+n_rows-1, over
// cache positions 0..base-1 and the step's own rows (GQA): one pass over the K rows of
// every KV head (each row serving the G query heads of its group and every row of the
// step), one over the V rows. Rows before `base` come from the cache; the step's own
// K/V rows come from chip (`qkv`), so attention never reads back what kv_store has just
// written through the same port. Query row t sees positions up to base + t, or (`tree`)
// the cache and its ancestors in the Medusa tree TREE.
// An iteration takes one cache row (D values) and P query rows; ROW_II is the cycles a
// row needs from its channel, so the units are shared over ROW_II cycles, and a row is
// held for ceil(n_rows / P) iterations. The sums over positions keep PARTS partials: a
// partial is updated every PARTS x ROW_II >= fp32 add latency cycles.
template <typename KV, int HEADS, int KVH, int CTX, int D, int ROW_II, int PARTS, int P, int T,
          int QKV, typename TREE = CausalSteps>
void attention(const float (&qkv)[T][QKV], const KV* k_layer, const KV* v_layer,
               const float* k_scales, const float* v_scales, int base, int n_rows, float scale,
               float (&out)[T][HEADS * D], bool tree = false) {
  constexpr int G = HEADS / KVH;
  constexpr int Q = HEADS * D;
  constexpr int KVW = KVH * D;
  constexpr int S = T / P;
  static float scores[T][KVH][G][CTX];
  float best[T][KVH][G];
  float total[PARTS][S][P][KVH][G];
  float acc[PARTS][S][P][KVH][G][D];
  float row[D];
#pragma HLS array_partition variable = scores dim = 3 complete
#pragma HLS array_partition variable = best dim = 3 complete
#pragma HLS array_partition variable = total dim = 3 complete
#pragma HLS array_partition variable = total dim = 5 complete
#pragma HLS array_partition variable = acc dim = 3 complete
#pragma HLS array_partition variable = acc dim = 5 complete
#pragma HLS array_partition variable = acc dim = 6 complete
#pragma HLS array_partition variable = row complete
  const int positions = base + n_rows;  // the last row's view
  const int slices = (n_rows + P - 1) / P;
  for (int t = 0; t < T; ++t) {
    for (int kvh = 0; kvh < KVH; ++kvh) {
      for (int h = 0; h < G; ++h) best[t][kvh][h] = -3.0e38f;
    }
  }
  for (int i = 0; i < PARTS; ++i) {
    for (int s = 0; s < S; ++s) {
      for (int p = 0; p < P; ++p) {
        for (int kvh = 0; kvh < KVH; ++kvh) {
          for (int h = 0; h < G; ++h) {
            total[i][s][p][kvh][h] = 0.0f;
            for (int d = 0; d < D; ++d) acc[i][s][p][kvh][h][d] = 0.0f;
          }
        }
      }
    }
  }
  int kvh = 0;
  int pos = 0;
  int slice = 0;
ATTN_SCORES:
  for (int i = 0; i < KVH * positions * slices; ++i) {
#pragma HLS loop_tripcount min = KVH max = KVH * CTX * S
#pragma HLS pipeline II = ROW_II
    if (slice == 0) {
      const int own = pos < base ? 0 : pos - base;
      cache_row<KV, D>(pos < base, k_layer + (kvh * CTX + pos) * D, k_scales, kvh * CTX + pos,
                       &qkv[own][Q + kvh * D], row);
    }
    for (int p = 0; p < P; ++p) {
      const int t = slice * P + p;
      if (t >= n_rows || !step_sees<TREE>(tree, base, pos, t)) continue;
      for (int h = 0; h < G; ++h) {
        float products[D];
        for (int d = 0; d < D; ++d) products[d] = qkv[t][(kvh * G + h) * D + d] * row[d];
        const float score = tree_sum<D>(products) * scale;
        scores[t][kvh][h][pos] = score;
        best[t][kvh][h] = score > best[t][kvh][h] ? score : best[t][kvh][h];
      }
    }
    if (++slice == slices) {
      slice = 0;
      if (++pos == positions) {
        pos = 0;
        ++kvh;
      }
    }
  }
  kvh = 0;
  pos = 0;
  slice = 0;
ATTN_VALUES:
  for (int i = 0; i < KVH * positions * slices; ++i) {
#pragma HLS loop_tripcount min = KVH max = KVH * CTX * S
#pragma HLS pipeline II = ROW_II
#pragma HLS dependence variable = acc type = inter distance = PARTS true
#pragma HLS dependence variable = total type = inter distance = PARTS true
    if (slice == 0) {
      const int own = pos < base ? 0 : pos - base;
      cache_row<KV, D>(pos < base, v_layer + (kvh * CTX + pos) * D, v_scales, kvh * CTX + pos,
                       &qkv[own][Q + KVW + kvh * D], row);
    }
    for (int p = 0; p < P; ++p) {
      const int t = slice * P + p;
      if (t >= n_rows || !step_sees<TREE>(tree, base, pos, t)) continue;
      for (int h = 0; h < G; ++h) {
        const float e = hls::exp(scores[t][kvh][h][pos] - best[t][kvh][h]);
        total[pos % PARTS][slice][p][kvh][h] += e;
        for (int d = 0; d < D; ++d) acc[pos % PARTS][slice][p][kvh][h][d] += e * row[d];
      }
    }
    if (++slice == slices) {
      slice = 0;
      if (++pos == positions) {
        pos = 0;
        ++kvh;
      }
    }
  }
ATTN_OUT:
  for (int i = 0; i < n_rows * HEADS; ++i) {
#pragma HLS loop_tripcount min = HEADS max = T * HEADS
#pragma HLS pipeline II = 1
    const int t = i / HEADS;
    const int head = i % HEADS;
    const int kv = head / G;
    const int h = head % G;
    float sums[PARTS];
    for (int j = 0; j < PARTS; ++j) sums[j] = total[j][t / P][t % P][kv][h];
    const float inverse = 1.0f / tree_sum<PARTS>(sums);  // one divider; D products
    for (int d = 0; d < D; ++d) {
      float values[PARTS];
      for (int j = 0; j < PARTS; ++j) values[j] = acc[j][t / P][t % P][kv][h][d];
      out[t][head * D + d] = tree_sum<PARTS>(values) * inverse;
    }
  }
}

}  // namespace engine
}  // namespace llmhls

#endif  // LLMHLS_ENGINE_H
