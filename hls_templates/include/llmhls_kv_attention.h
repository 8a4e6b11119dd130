// llmhls KV-cache append and causal attention over the cache, for the LLM kernels.
//
// The decoder-layer sub-kernels (`layer_pre`, `layer_post`) come out of the MLIR flow; what sits
// between them needs a cache that persists across calls and a loop over a run-time number of
// positions, so it is written by hand here. Both templates work on one layer's slice of the
// off-chip cache, laid out [kv_head][position][head_dim] (float32); the caller passes pointers
// offset to that layer, so the same hardware serves every layer (temporal reuse). Interface
// pragmas (m_axi bundles) belong to the top function that owns the pointers, not to these
// templates.
//
// Sizes are template parameters so that every on-chip buffer and loop bound is static:
//   H   query heads          KVH  key/value heads (H % KVH == 0; GQA when KVH < H)
//   T   cache positions      HD   head dimension
//   C   rows per call (1 for decode, the prefill chunk for prefill)
//   TILE cache positions fetched per burst in attention_window
// Only `pos` and `n_valid` are run-time values.
#ifndef LLMHLS_KV_ATTENTION_H
#define LLMHLS_KV_ATTENTION_H

#include <cfloat>
#include <cmath>

// Loop labels name the loops in Vitis HLS reports and directives; g++ never jumps to them.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace llmhls {

namespace kv_detail {

/// Number of rows of a call that are real: n_valid clamped to [0, C], so that a bad count can
/// never index past the C-row input/output arrays.
template <int C>
inline int clamp_rows(int n_valid) {
  return n_valid < 0 ? 0 : (n_valid > C ? C : n_valid);
}

/// Positions [0, len) a query at position p may see: p + 1 clipped to [0, T]. Clipping at T
/// matches kv_append, which never writes past T, so attention never reads outside the slice.
template <int T>
inline int visible_len(int p) {
  const int len = p + 1;
  return len < 0 ? 0 : (len > T ? T : len);
}

}  // namespace kv_detail

/// Append C new rows of keys and values to one layer's cache slice.
///
/// k_new/v_new are [C][KVH][HD]; rows c < n_valid go to positions pos + c of the slice
/// ([KVH][T][HD]). Rows whose position falls outside [0, T) are dropped, and no other cache
/// element is touched, so the host-owned cache can be updated in place call after call.
template <int KVH, int T, int HD, int C>
void kv_append(const float k_new[C * KVH * HD], const float v_new[C * KVH * HD], float *k_cache,
               float *v_cache, int pos, int n_valid) {
  static_assert(KVH > 0 && T > 0 && HD > 0 && C > 0, "kv_append: sizes must be positive");

  // Rows [first, last) are written: clipping once here keeps the copy loops free of per-element
  // tests, which is what lets Vitis HLS turn each kv head's rows into one contiguous burst.
  const int rows = kv_detail::clamp_rows<C>(n_valid);
  const int first = pos < 0 ? -pos : 0;
  const int room = T - pos;
  const int last = rows < room ? rows : room;

  // kv head outer, rows inside: within one kv head the positions pos + first .. pos + last - 1
  // are adjacent in the [KVH][T][HD] slice, so the (row, d) loop walks one run of addresses.
kv_append_heads:
  for (int g = 0; g < KVH; ++g) {
  kv_append_rows:
    for (int c = 0; c < C; ++c) {
      // Static bound C with an early exit keeps the trip count known to the scheduler.
      if (c < first) continue;
      if (c >= last) break;
      const int src = (c * KVH + g) * HD;
      const int dst = (g * T + pos + c) * HD;
    kv_append_dims:
      for (int d = 0; d < HD; ++d) {
#pragma HLS PIPELINE II = 1
        // One element of K and one of V per cycle: they sit on separate bundles (m_axi ports).
        k_cache[dst + d] = k_new[src + d];
        v_cache[dst + d] = v_new[src + d];
      }
    }
  }
}

/// Causal attention of C query rows over one layer's cache, with an online softmax.
///
/// Query row c (c < n_valid) sits at position pos + c and sees cache positions [0, pos + c]
/// (clipped to T). For query head h the kv head is g = h / (H / KVH): each K/V tile is fetched
/// once and used by all H / KVH heads of its group and all C rows, never duplicated per head.
/// q and out are [C][H][HD]; out rows c >= n_valid (and rows that see no position) are 0.
///
/// The cache is read in bursts of TILE positions into on-chip tiles. Per (row, head) a running
/// max m, running sum l and running weighted sum acc[HD] are kept: for each tile with tile max
/// mt, m' = max(m, mt), and l, acc are rescaled by exp(m - m') before adding the tile's terms
/// exp(s - m'). This is exactly softmax(s) @ V up to rounding, with no [T] score array.
template <int H, int KVH, int T, int HD, int C, int TILE>
void attention_window(const float q[C * H * HD], const float *k_cache, const float *v_cache,
                      int pos, int n_valid, float scale, float out[C * H * HD]) {
  static_assert(H > 0 && KVH > 0 && T > 0 && HD > 0 && C > 0 && TILE > 0,
                "attention_window: sizes must be positive");
  static_assert(H % KVH == 0, "attention_window: H must be a multiple of KVH (GQA groups)");
  constexpr int G = H / KVH;                    // query heads per kv head
  constexpr int NT = (T + TILE - 1) / TILE;     // most tiles a call can need (last one partial)
  constexpr int MAX_TILE_ELEMS = TILE * HD;     // elements of one full tile burst
  (void)NT;  // NT and MAX_TILE_ELEMS feed only the tripcount pragmas, which g++ ignores
  (void)MAX_TILE_ELEMS;

  // K tile: the score loop reads a whole row (all HD) per cycle, so split it along head_dim.
  // V tile: the accumulate loop reads one d of every tile row per cycle, so split along rows.
  float k_tile[TILE][HD];
  float v_tile[TILE][HD];
#pragma HLS ARRAY_PARTITION variable = k_tile dim = 2 complete
#pragma HLS ARRAY_PARTITION variable = v_tile dim = 1 complete
  // Running softmax state per (row, head of the group); acc is read and written once per d.
  float m_run[C][G];
  float l_run[C][G];
  float acc[C][G][HD];
  // Per-tile scratch for one (row, head): scores and their exponentials, one per tile row.
  float s_tile[TILE];
  float p_tile[TILE];
  float q_row[HD];
#pragma HLS ARRAY_PARTITION variable = s_tile complete
#pragma HLS ARRAY_PARTITION variable = p_tile complete
#pragma HLS ARRAY_PARTITION variable = q_row complete

  // Tile rows past the end of a partial tile are multiplied by a zero weight; zeroing the tiles
  // once keeps those rows finite (0 * NaN would otherwise poison the sums).
  // One element of each per cycle: k_tile[j][d] is in bank d, v_tile[j][d] in bank j.
attn_zero_tiles:
  for (int j = 0; j < TILE; ++j) {
    for (int d = 0; d < HD; ++d) {
#pragma HLS PIPELINE II = 1
      k_tile[j][d] = 0.0f;
      v_tile[j][d] = 0.0f;
    }
  }

  const int rows = kv_detail::clamp_rows<C>(n_valid);
  // The last real row sees the most positions; no tile past that is fetched.
  const int n_pos = rows == 0 ? 0 : kv_detail::visible_len<T>(pos + rows - 1);
  const int n_tiles = (n_pos + TILE - 1) / TILE;

attn_groups:
  for (int g = 0; g < KVH; ++g) {
  attn_init:
    for (int c = 0; c < C; ++c) {
      for (int hh = 0; hh < G; ++hh) {
        // -FLT_MAX rather than -inf: exp(m - m') then underflows to 0 without inf - inf = NaN.
        m_run[c][hh] = -FLT_MAX;
        l_run[c][hh] = 0.0f;
        for (int d = 0; d < HD; ++d) {
#pragma HLS PIPELINE II = 1
          acc[c][hh][d] = 0.0f;
        }
      }
    }

    const float *k_slice = k_cache + g * T * HD;
    const float *v_slice = v_cache + g * T * HD;

  attn_tiles:
    for (int t = 0; t < n_tiles; ++t) {
#pragma HLS loop_tripcount min = 1 max = NT
      const int base = t * TILE;
      const int n_here = (n_pos - base) < TILE ? (n_pos - base) : TILE;
      const int n_elems = n_here * HD;

      // Positions base .. base + n_here - 1 of one kv head are one contiguous run of
      // n_here * HD floats: a single flat loop with running (row, d) counters (no division)
      // is the shape Vitis HLS infers as one read burst per port.
      int lj = 0;
      int ld = 0;
    attn_load:
      for (int i = 0; i < n_elems; ++i) {
#pragma HLS PIPELINE II = 1
#pragma HLS loop_tripcount min = 1 max = MAX_TILE_ELEMS
        k_tile[lj][ld] = k_slice[base * HD + i];
        v_tile[lj][ld] = v_slice[base * HD + i];
        if (ld == HD - 1) {
          ld = 0;
          ++lj;
        } else {
          ++ld;
        }
      }

    attn_rows:
      for (int c = 0; c < C; ++c) {
        if (c >= rows) break;
        // Tile rows this query may see: causal mask, clipped to the rows fetched.
        const int see = kv_detail::visible_len<T>(pos + c) - base;
        const int n_see = see < n_here ? see : n_here;
        if (n_see <= 0) continue;  // the whole tile lies in this row's future

      attn_heads:
        for (int hh = 0; hh < G; ++hh) {
          const int h = g * G + hh;
          const int q_off = (c * H + h) * HD;
        attn_q:
          for (int d = 0; d < HD; ++d) {
#pragma HLS PIPELINE II = 1
            q_row[d] = q[q_off + d];
          }

          // Scores of the tile, one tile row per cycle (the HD products are unrolled); masked
          // rows get -FLT_MAX so they never win the max.
        attn_scores:
          for (int j = 0; j < TILE; ++j) {
#pragma HLS PIPELINE II = 1
            float dot = 0.0f;
            for (int d = 0; d < HD; ++d) {
              dot += q_row[d] * k_tile[j][d];
            }
            s_tile[j] = j < n_see ? dot * scale : -FLT_MAX;
          }
          // The max is a separate unrolled pass, so the score loop carries no dependence
          // from one iteration to the next and keeps II = 1.
          float m_tile = -FLT_MAX;
        attn_tile_max:
          for (int j = 0; j < TILE; ++j) {
#pragma HLS UNROLL
            m_tile = s_tile[j] > m_tile ? s_tile[j] : m_tile;
          }

          const float m_old = m_run[c][hh];
          const float m_new = m_tile > m_old ? m_tile : m_old;
          // Rescales the old state; on the first tile exp(-FLT_MAX - m_new) underflows to 0.
          const float alpha = std::exp(m_old - m_new);

        attn_exp:
          for (int j = 0; j < TILE; ++j) {
#pragma HLS PIPELINE II = 1
            p_tile[j] = j < n_see ? std::exp(s_tile[j] - m_new) : 0.0f;
          }
          // Likewise the sum: a float add chain inside the exp loop would limit its II.
          float l_tile = 0.0f;
        attn_tile_sum:
          for (int j = 0; j < TILE; ++j) {
#pragma HLS UNROLL
            l_tile += p_tile[j];
          }
          m_run[c][hh] = m_new;
          l_run[c][hh] = l_run[c][hh] * alpha + l_tile;

        attn_acc:
          for (int d = 0; d < HD; ++d) {
#pragma HLS PIPELINE II = 1
            float sum = 0.0f;
            for (int j = 0; j < TILE; ++j) {
              sum += p_tile[j] * v_tile[j][d];
            }
            acc[c][hh][d] = acc[c][hh][d] * alpha + sum;
          }
        }
      }
    }

    // Normalise once per (row, head) and write the group's heads; rows beyond n_valid and rows
    // that saw no position (l == 0) come out as 0 so the caller never reads stale data.
  attn_out_rows:
    for (int c = 0; c < C; ++c) {
    attn_out_heads:
      for (int hh = 0; hh < G; ++hh) {
        const int h = g * G + hh;
        const float l = l_run[c][hh];
        const bool live = c < rows && l > 0.0f;
        const float inv_l = live ? 1.0f / l : 0.0f;
      attn_out_dims:
        for (int d = 0; d < HD; ++d) {
#pragma HLS PIPELINE II = 1
          out[(c * H + h) * HD + d] = live ? acc[c][hh][d] * inv_l : 0.0f;
        }
      }
    }
  }
}

}  // namespace llmhls

#pragma GCC diagnostic pop

#endif  // LLMHLS_KV_ATTENTION_H
