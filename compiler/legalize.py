"""The legalization pipeline: bufferized affine → HLS-legal affine."""

# Outputs become arguments first so copies into them are lowered too; f64 is
# narrowed before canonicalize folds the now-trivial casts.
HLS_LEGALIZE_PIPELINE = (
    "builtin.module(hls-results-to-args, hls-f64-to-f32, hls-copies-to-loops, "
    "hls-drop-asserts, canonicalize, cse, hls-verify-synthesizable)"
)
