"""The legalization pipeline: bufferized affine → HLS-legal affine."""

# Outputs become arguments first so copies into them are lowered too; f64 is
# narrowed before canonicalize folds the now-trivial casts. Outputs that a loop reads
# back get an on-chip buffer at every level (see hls-buffer-read-back).
HLS_LEGALIZE_PIPELINE = (
    "builtin.module(hls-results-to-args, hls-f64-to-f32, hls-copies-to-loops, "
    "hls-drop-asserts, canonicalize, cse, hls-buffer-read-back, hls-verify-synthesizable, "
    "hls-verify-dataflow)"
)
