// Unit test of llmhls_kv_attention.h: kv_append writes exactly the rows it is given (and
// nothing else, clipped at T), and attention_window's tiled online softmax matches a plain
// full-scores softmax for GQA, MHA, MQA, decode (C = 1), partial chunks, partial last tiles
// and causal windows that end mid-tile, and stays right where an unshifted exp would overflow
// or underflow.
#include "check.h"
#include "llmhls_kv_attention.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <vector>

namespace {

// Deterministic xorshift32, so every run checks the same data.
struct Rng {
  std::uint32_t state;
  explicit Rng(std::uint32_t seed) : state(seed == 0 ? 1u : seed) {}
  float uniform() {  // in [-1, 1)
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return static_cast<float>(state >> 8) / 8388608.0f - 1.0f;
  }
  void fill(std::vector<float>& v) {
    for (float& x : v) x = uniform();
  }
};

const float kSentinel = -12345.5f;
const float kNaN = std::numeric_limits<float>::quiet_NaN();

// Relative bound against the float reference (same dot products, plain softmax); values
// below 1 in magnitude are held to the same absolute bound.
const float kRelTol = 1e-6f;

float max_err = 0.0f;  // largest scaled error seen, printed for the record

/// Plain causal attention in float: a full [T] score array, its max, exp, sum, then each
/// weight divided by the sum and applied to V. Rows c >= n_valid are 0; positions clip at T.
template <int H, int KVH, int T, int HD, int C>
void reference_attention(const std::vector<float>& q, const std::vector<float>& k_cache,
                         const std::vector<float>& v_cache, int pos, int n_valid, float scale,
                         std::vector<float>& out) {
  const int group = H / KVH;
  for (int c = 0; c < C; ++c) {
    for (int h = 0; h < H; ++h) {
      float* o = &out[(c * H + h) * HD];
      for (int d = 0; d < HD; ++d) o[d] = 0.0f;
      int len = pos + c + 1;
      if (len > T) len = T;
      if (c >= n_valid || len <= 0) continue;
      const int g = h / group;
      const float* qr = &q[(c * H + h) * HD];
      float scores[T];
      float m = -std::numeric_limits<float>::infinity();
      for (int j = 0; j < len; ++j) {
        float dot = 0.0f;
        for (int d = 0; d < HD; ++d) dot += qr[d] * k_cache[(g * T + j) * HD + d];
        scores[j] = dot * scale;
        if (scores[j] > m) m = scores[j];
      }
      float sum = 0.0f;
      for (int j = 0; j < len; ++j) {
        scores[j] = std::exp(scores[j] - m);
        sum += scores[j];
      }
      for (int j = 0; j < len; ++j) {
        const float w = scores[j] / sum;
        for (int d = 0; d < HD; ++d) o[d] += w * v_cache[(g * T + j) * HD + d];
      }
    }
  }
}

/// Compare every element; report the first mismatch of a case with its coordinates.
bool all_close(const char* what, const std::vector<float>& got, const std::vector<float>& want) {
  for (std::size_t i = 0; i < want.size(); ++i) {
    const float scale = std::fmax(1.0f, std::fabs(want[i]));
    const float err = std::fabs(got[i] - want[i]) / scale;
    if (!(err <= kRelTol)) {  // also catches NaN
      std::fprintf(stderr, "%s: element %zu = %.9g, want %.9g\n", what, i, got[i], want[i]);
      return false;
    }
    if (err > max_err) max_err = err;
  }
  return true;
}

/// One attention_window call on random q and cache against the reference. Cache positions no
/// query may see (>= pos + n_valid) hold NaN, so reading past the causal window shows up.
/// far_negative makes q <= -0.5 and K >= 0.5 elementwise, so every score is far below zero and
/// most exp(score) would underflow to 0 unshifted: only a shift by the true running max (not
/// by 0) gets them right.
template <int H, int KVH, int T, int HD, int C, int TILE>
void check_attention(const char* what, int pos, int n_valid, float scale, std::uint32_t seed,
                     bool far_negative = false) {
  Rng rng(seed);
  std::vector<float> q(C * H * HD), k(KVH * T * HD), v(KVH * T * HD);
  rng.fill(q);
  rng.fill(k);
  rng.fill(v);
  if (far_negative) {
    for (float& x : q) x = -0.75f + 0.25f * x;
    for (float& x : k) x = 0.75f + 0.25f * x;
  }
  const int rows = n_valid < 0 ? 0 : (n_valid > C ? C : n_valid);
  for (int g = 0; g < KVH; ++g) {
    for (int j = pos + rows; j < T; ++j) {
      if (j < 0) continue;
      for (int d = 0; d < HD; ++d) {
        k[(g * T + j) * HD + d] = kNaN;
        v[(g * T + j) * HD + d] = kNaN;
      }
    }
  }
  std::vector<float> got(C * H * HD, kSentinel), want(C * H * HD);
  llmhls::attention_window<H, KVH, T, HD, C, TILE>(q.data(), k.data(), v.data(), pos, n_valid,
                                                   scale, got.data());
  reference_attention<H, KVH, T, HD, C>(q, k, v, pos, n_valid, scale, want);
  char label[160];
  std::snprintf(label, sizeof label, "%s (pos=%d, n_valid=%d)", what, pos, n_valid);
  CHECK(all_close(label, got, want));
  // Rows past n_valid are exactly zero (not the sentinel, not stale data).
  for (int i = rows * H * HD; i < C * H * HD; ++i) CHECK(got[i] == 0.0f);
}

/// kv_append against the rule "rows c < n_valid with 0 <= pos + c < T are written, nothing
/// else": every other element keeps the sentinel, and K and V each get their own data.
template <int KVH, int T, int HD, int C>
void check_append(int pos, int n_valid, std::uint32_t seed) {
  Rng rng(seed);
  std::vector<float> k_new(C * KVH * HD), v_new(C * KVH * HD);
  rng.fill(k_new);
  rng.fill(v_new);
  std::vector<float> k(KVH * T * HD, kSentinel), v(KVH * T * HD, kSentinel);
  llmhls::kv_append<KVH, T, HD, C>(k_new.data(), v_new.data(), k.data(), v.data(), pos,
                                   n_valid);
  int written = 0;
  int mismatches = 0;
  for (int g = 0; g < KVH; ++g) {
    for (int j = 0; j < T; ++j) {
      const int c = j - pos;
      const bool fresh = c >= 0 && c < C && c < n_valid;
      for (int d = 0; d < HD; ++d) {
        const int at = (g * T + j) * HD + d;
        const float want_k = fresh ? k_new[(c * KVH + g) * HD + d] : kSentinel;
        const float want_v = fresh ? v_new[(c * KVH + g) * HD + d] : kSentinel;
        if (k[at] != want_k || v[at] != want_v) ++mismatches;
        written += fresh ? 1 : 0;
      }
    }
  }
  if (mismatches != 0) {
    std::fprintf(stderr, "kv_append(pos=%d, n_valid=%d): %d wrong element(s)\n", pos, n_valid,
                 mismatches);
  }
  CHECK(mismatches == 0);
  // The expected count, computed independently of the loop above: rows [lo, hi).
  const int lo = pos < 0 ? -pos : 0;
  int hi = n_valid < C ? n_valid : C;
  if (hi > T - pos) hi = T - pos;
  const int rows = hi > lo ? hi - lo : 0;
  CHECK(written == rows * KVH * HD);
}

/// The real call pattern: prefill a prompt in chunks of C (last chunk partial), then decode
/// token by token with C = 1, each step appending to the cache and attending over it. Every
/// output is checked against the reference over the same (fully written) cache.
void check_prefill_then_decode() {
  constexpr int H = 4, KVH = 2, T = 20, HD = 8, C = 5, TILE = 8;
  const float scale = 1.0f / std::sqrt(static_cast<float>(HD));
  Rng rng(99);
  std::vector<float> k(KVH * T * HD, 0.0f), v(KVH * T * HD, 0.0f);
  const int prompt = 12;
  int pos = 0;
  while (pos < prompt) {
    const int n = prompt - pos < C ? prompt - pos : C;
    std::vector<float> q(C * H * HD), kn(C * KVH * HD), vn(C * KVH * HD);
    rng.fill(q);
    rng.fill(kn);
    rng.fill(vn);
    llmhls::kv_append<KVH, T, HD, C>(kn.data(), vn.data(), k.data(), v.data(), pos, n);
    std::vector<float> got(C * H * HD, kSentinel), want(C * H * HD);
    llmhls::attention_window<H, KVH, T, HD, C, TILE>(q.data(), k.data(), v.data(), pos, n,
                                                     scale, got.data());
    reference_attention<H, KVH, T, HD, C>(q, k, v, pos, n, scale, want);
    CHECK(all_close("prefill chunk", got, want));
    pos += n;
  }
  for (; pos < T; ++pos) {
    std::vector<float> q(H * HD), kn(KVH * HD), vn(KVH * HD);
    rng.fill(q);
    rng.fill(kn);
    rng.fill(vn);
    llmhls::kv_append<KVH, T, HD, 1>(kn.data(), vn.data(), k.data(), v.data(), pos, 1);
    std::vector<float> got(H * HD, kSentinel), want(H * HD);
    llmhls::attention_window<H, KVH, T, HD, 1, TILE>(q.data(), k.data(), v.data(), pos, 1,
                                                     scale, got.data());
    reference_attention<H, KVH, T, HD, 1>(q, k, v, pos, 1, scale, want);
    CHECK(all_close("decode step", got, want));
  }
}

/// GQA shares K/V within a group: heads of one group must differ only through q. Giving the
/// two heads of a group the same q must give the same output, and the other group (other
/// K/V) a different one.
void check_gqa_grouping() {
  constexpr int H = 4, KVH = 2, T = 20, HD = 8, C = 1, TILE = 8;
  Rng rng(7);
  std::vector<float> q(H * HD), k(KVH * T * HD), v(KVH * T * HD), out(H * HD);
  rng.fill(k);
  rng.fill(v);
  for (int d = 0; d < HD; ++d) {
    const float x = rng.uniform();
    for (int h = 0; h < H; ++h) q[h * HD + d] = x;
  }
  llmhls::attention_window<H, KVH, T, HD, C, TILE>(q.data(), k.data(), v.data(), 10, 1, 0.5f,
                                                   out.data());
  bool same_in_group = true;
  bool differs_across = false;
  for (int d = 0; d < HD; ++d) {
    same_in_group = same_in_group && out[0 * HD + d] == out[1 * HD + d] &&
                    out[2 * HD + d] == out[3 * HD + d];
    differs_across = differs_across || out[0 * HD + d] != out[2 * HD + d];
  }
  CHECK(same_in_group);
  CHECK(differs_across);
}

}  // namespace

int main() {
  // kv_append: full chunk at 0, partial chunk mid-cache, clipping at T, nothing at or past T,
  // nothing for n_valid = 0, n_valid above C treated as C, decode rows, negative pos clipped.
  check_append<2, 20, 8, 5>(0, 5, 1);
  check_append<2, 20, 8, 5>(7, 3, 2);
  check_append<2, 20, 8, 5>(17, 5, 3);
  check_append<2, 20, 8, 5>(19, 4, 4);
  check_append<2, 20, 8, 5>(20, 5, 5);
  check_append<2, 20, 8, 5>(9, 0, 6);
  check_append<2, 20, 8, 5>(3, 9, 7);
  check_append<3, 16, 4, 1>(15, 1, 8);
  check_append<3, 16, 4, 1>(0, 1, 9);
  check_append<1, 10, 4, 4>(-2, 4, 10);

  const float s8 = 1.0f / std::sqrt(8.0f);
  const float s16 = 0.25f;

  // The brief's case: GQA, C = 5 with 3 real rows at pos 7, T = 20 not a multiple of TILE = 8.
  check_attention<4, 2, 20, 8, 5, 8>("gqa C=5", 7, 3, s8, 11);
  // More windows of the same shape: first row, tile-aligned ends (pos + c + 1 = 8, 16), the
  // partial last tile (positions 16..19), the last position, and rows past T (clipped).
  check_attention<4, 2, 20, 8, 5, 8>("gqa C=5", 0, 5, s8, 12);
  check_attention<4, 2, 20, 8, 5, 8>("gqa C=5", 3, 5, s8, 13);
  check_attention<4, 2, 20, 8, 5, 8>("gqa C=5", 11, 5, s8, 14);
  check_attention<4, 2, 20, 8, 5, 8>("gqa C=5", 15, 5, s8, 15);
  check_attention<4, 2, 20, 8, 5, 8>("gqa C=5", 17, 5, s8, 16);
  check_attention<4, 2, 20, 8, 5, 8>("gqa C=5", 9, 0, s8, 17);
  check_attention<4, 2, 20, 8, 5, 8>("gqa C=5", 2, 7, s8, 18);

  // MHA (H = KVH) and MQA (KVH = 1).
  check_attention<3, 3, 20, 8, 5, 8>("mha C=5", 7, 3, s8, 21);
  check_attention<3, 3, 20, 8, 5, 8>("mha C=5", 12, 5, s8, 22);
  check_attention<4, 1, 16, 16, 4, 4>("mqa C=4", 5, 4, s16, 23);

  // Decode (C = 1) at every position: T a multiple of TILE here, and TILE = 1 and TILE > T.
  for (int p = 0; p < 16; ++p) {
    check_attention<4, 2, 16, 16, 1, 4>("gqa decode", p, 1, s16, 100 + p);
    check_attention<2, 2, 16, 8, 1, 5>("mha decode", p, 1, s8, 200 + p);
  }
  check_attention<2, 1, 6, 4, 1, 1>("tile=1 decode", 5, 1, 0.5f, 31);
  check_attention<2, 1, 6, 4, 2, 8>("tile>T", 3, 2, 0.5f, 32);

  // Scale 64 puts scores well past 89, where expf overflows: unshifted, the result is NaN.
  check_attention<4, 2, 20, 8, 5, 8>("large scores", 12, 5, 64.0f, 41);
  check_attention<2, 2, 16, 16, 1, 4>("large scores decode", 15, 1, 64.0f, 42);
  // Scores in [-256, -64], typically about -144 (expf underflows below about -104).
  check_attention<4, 2, 20, 8, 5, 8>("far negative scores", 12, 5, 32.0f, 43, true);

  check_prefill_then_decode();
  check_gqa_grouping();

  std::printf("test_kv_attention: largest scaled error %.3g (bound %.3g)\n", max_err, kRelTol);
  return finish("test_kv_attention");
}
