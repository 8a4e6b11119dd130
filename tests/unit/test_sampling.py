"""Sampling picks what Hugging Face `generate` would, reproducibly, and rejects bad options."""

from __future__ import annotations

import os

import numpy as np
import pytest

from llmhls.errors import OptionError
from llmhls.runtime.sampling import Sampler, SamplingOptions, token_probabilities, warp_logits

os.environ.setdefault("HF_HUB_OFFLINE", "1")

# Probabilities [0.5, 0.3, 0.15, 0.05] as logits: ascending cumulative mass is
# 0.05, 0.2, 0.5, 1.0, so top-p keeps 1 token for p < 0.5, 2 for 0.5 < p < 0.8,
# 3 for 0.8 < p < 0.95 and all 4 above 0.95.
FOUR = np.log(np.array([0.5, 0.3, 0.15, 0.05]))


def kept(logits: np.ndarray, options: SamplingOptions) -> list[int]:
    """Indices of the tokens that can still be drawn."""
    return np.flatnonzero(np.isfinite(warp_logits(logits, options))).tolist()


def random_logits(seed: int, vocab: int = 64, scale: float = 3.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, scale, vocab)


# --- greedy -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_greedy_is_argmax(dtype: type) -> None:
    sampler = Sampler(SamplingOptions())
    for seed in range(20):
        logits = random_logits(seed).astype(dtype)
        assert sampler.next_token(logits) == int(np.argmax(logits.astype(np.float64)))


def test_greedy_ties_go_to_lowest_index_and_ignore_top_k_top_p() -> None:
    logits = np.array([0.0, 5.0, -1.0, 5.0, 5.0], dtype=np.float32)
    assert Sampler(SamplingOptions()).next_token(logits) == 1
    assert Sampler(SamplingOptions(top_k=3, top_p=0.2, seed=9)).next_token(logits) == 1
    assert kept(logits, SamplingOptions()) == [1]


def test_greedy_ignores_masked_tokens() -> None:
    logits = np.array([-np.inf, -3.0, -np.inf, -2.5])
    assert Sampler(SamplingOptions()).next_token(logits) == 3


def test_top_k_one_is_argmax_at_any_temperature() -> None:
    for temperature in (0.3, 1.0, 5.0):
        sampler = Sampler(SamplingOptions(temperature=temperature, top_k=1, seed=3))
        for seed in range(20):
            logits = random_logits(100 + seed)
            assert sampler.next_token(logits) == int(np.argmax(logits))


def test_tiny_top_p_is_argmax() -> None:
    sampler = Sampler(SamplingOptions(temperature=1.5, top_p=1e-9, seed=4))
    for seed in range(20):
        logits = random_logits(200 + seed)
        assert sampler.next_token(logits) == int(np.argmax(logits))


def test_tiny_temperature_is_argmax_without_overflow() -> None:
    sampler = Sampler(SamplingOptions(temperature=1e-300, seed=5))
    for seed in range(10):
        logits = random_logits(300 + seed)
        assert sampler.next_token(logits) == int(np.argmax(logits))


# --- determinism --------------------------------------------------------------------------------


def draws(options: SamplingOptions, logits: np.ndarray, n: int = 64) -> list[int]:
    sampler = Sampler(options)
    return [sampler.next_token(logits) for _ in range(n)]


def test_same_seed_same_sequence_other_seed_differs() -> None:
    flat = np.zeros(100, dtype=np.float32)
    first = draws(SamplingOptions(temperature=1.0, seed=1234), flat)
    again = draws(SamplingOptions(temperature=1.0, seed=1234), flat)
    other = draws(SamplingOptions(temperature=1.0, seed=1235), flat)
    assert first == again
    assert first != other
    assert len(set(first)) > 20  # flat logits really are sampled, not argmaxed


def test_reproducible_with_filters_and_changing_logits() -> None:
    options = SamplingOptions(temperature=0.8, top_k=20, top_p=0.9, seed=77)
    runs = []
    for _ in range(2):
        sampler = Sampler(options)
        runs.append([sampler.next_token(random_logits(400 + step)) for step in range(50)])
    assert runs[0] == runs[1]


# --- kept sets ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("top_p", "expected"),
    [
        (0.3, [0]),
        (0.49, [0]),
        (0.6, [0, 1]),
        (0.79, [0, 1]),
        (0.81, [0, 1, 2]),
        (0.94, [0, 1, 2]),
        (0.96, [0, 1, 2, 3]),
        (1.0, [0, 1, 2, 3]),
    ],
)
def test_top_p_kept_set_by_hand(top_p: float, expected: list[int]) -> None:
    assert kept(FOUR, SamplingOptions(temperature=1.0, top_p=top_p)) == expected
    # Order of the vocabulary does not matter.
    permutation = np.array([2, 0, 3, 1])
    shuffled = kept(FOUR[permutation], SamplingOptions(temperature=1.0, top_p=top_p))
    assert sorted(permutation[shuffled].tolist()) == expected


def test_top_p_renormalises_kept_mass() -> None:
    probs = token_probabilities(FOUR, SamplingOptions(temperature=1.0, top_p=0.7))
    np.testing.assert_allclose(probs, [0.5 / 0.8, 0.3 / 0.8, 0.0, 0.0], rtol=1e-12)


@pytest.mark.parametrize(
    ("top_k", "expected"), [(1, [0]), (2, [0, 1]), (3, [0, 1, 2]), (9, [0, 1, 2, 3])]
)
def test_top_k_kept_set_by_hand(top_k: int, expected: list[int]) -> None:
    assert kept(FOUR, SamplingOptions(temperature=1.0, top_k=top_k)) == expected


def test_top_k_keeps_ties_at_the_kth_score() -> None:
    logits = np.array([1.0, 2.0, 2.0, 0.0])
    assert kept(logits, SamplingOptions(temperature=1.0, top_k=1)) == [1, 2]
    probs = token_probabilities(logits, SamplingOptions(temperature=1.0, top_k=1))
    np.testing.assert_allclose(probs, [0.0, 0.5, 0.5, 0.0])


def test_top_k_then_top_p_order() -> None:
    # top-k=3 first renormalises to [0.5, 0.3, 0.15] / 0.95, where the first two hold 0.842 of the
    # mass, so top-p=0.82 keeps two; on the full distribution top-p=0.82 keeps three.
    assert kept(FOUR, SamplingOptions(temperature=1.0, top_k=3, top_p=0.82)) == [0, 1]
    assert kept(FOUR, SamplingOptions(temperature=1.0, top_p=0.82)) == [0, 1, 2]


def test_temperature_scales_before_filtering() -> None:
    # T=0.5 squares the probabilities: [0.25, 0.09, 0.0225, 0.0025] / 0.365, so the first token
    # alone (0.685) covers top-p=0.6 and one token is kept; at T=1 two are kept.
    assert kept(FOUR, SamplingOptions(temperature=0.5, top_p=0.6)) == [0]
    assert kept(FOUR, SamplingOptions(temperature=1.0, top_p=0.6)) == [0, 1]
    probs = token_probabilities(FOUR, SamplingOptions(temperature=0.5))
    squared = np.array([0.5, 0.3, 0.15, 0.05]) ** 2
    np.testing.assert_allclose(probs, squared / squared.sum(), rtol=1e-12)


def test_masked_tokens_are_never_drawn() -> None:
    logits = np.array([0.0, -np.inf, 0.0, -np.inf, 0.0])
    seen = set(draws(SamplingOptions(temperature=1.0, seed=8), logits, n=300))
    assert seen == {0, 2, 4}


# --- against transformers -----------------------------------------------------------------------

HF_COMBOS = [
    (1.0, 0, 1.0),
    (0.7, 0, 1.0),
    (1.0, 10, 1.0),
    (1.0, 0, 0.9),
    (0.8, 5, 0.9),
    (1.3, 0, 0.5),
    (0.5, 20, 0.95),
    (2.0, 3, 0.3),
    (0.9, 100, 0.7),
    (1.0, 0, 0.8),
]


def hf_warp(logits: np.ndarray, temperature: float, top_k: int, top_p: float) -> np.ndarray:
    """The warpers `generate(do_sample=True)` builds, in its order, on float64 scores."""
    torch = pytest.importorskip("torch")
    logits_process = pytest.importorskip("transformers.generation.logits_process")
    warpers = logits_process.LogitsProcessorList()
    if temperature != 1.0:
        warpers.append(logits_process.TemperatureLogitsWarper(temperature))
    if top_k != 0:
        warpers.append(logits_process.TopKLogitsWarper(top_k=top_k, min_tokens_to_keep=1))
    if top_p < 1.0:
        warpers.append(logits_process.TopPLogitsWarper(top_p=top_p, min_tokens_to_keep=1))
    scores = torch.tensor(logits, dtype=torch.float64)[None, :]
    input_ids = torch.zeros((1, 1), dtype=torch.long)
    return warpers(input_ids, scores)[0].numpy()


@pytest.mark.parametrize(("temperature", "top_k", "top_p"), HF_COMBOS)
def test_kept_set_and_probabilities_match_transformers(
    temperature: float, top_k: int, top_p: float
) -> None:
    options = SamplingOptions(temperature=temperature, top_k=top_k, top_p=top_p)
    for seed in range(8):
        logits = random_logits(500 + seed, vocab=64)
        ours = warp_logits(logits, options)
        theirs = hf_warp(logits, temperature, top_k, top_p)
        assert np.isfinite(ours).tolist() == np.isfinite(theirs).tolist()
        np.testing.assert_allclose(
            token_probabilities(logits, options), _softmax_np(theirs), rtol=1e-9, atol=1e-15
        )


def test_hand_example_boundaries_match_transformers() -> None:
    # At exact boundaries the result depends on float rounding; it must round like transformers.
    for top_p in (0.5, 0.8, 0.95):
        ours = np.isfinite(warp_logits(FOUR, SamplingOptions(temperature=1.0, top_p=top_p)))
        theirs = np.isfinite(hf_warp(FOUR, 1.0, 0, top_p))
        assert ours.tolist() == theirs.tolist(), top_p


def test_ties_in_top_p_match_transformers() -> None:
    logits = np.array([3.0, 3.0, 1.0, 3.0, 0.0])
    for top_p in (0.01, 0.4, 0.7, 0.9):
        ours = np.isfinite(warp_logits(logits, SamplingOptions(temperature=1.0, top_p=top_p)))
        theirs = np.isfinite(hf_warp(logits, 1.0, 0, top_p))
        assert ours.tolist() == theirs.tolist(), top_p


def _softmax_np(scores: np.ndarray) -> np.ndarray:
    weights = np.exp(scores - scores.max())
    return weights / weights.sum()


# --- empirical distribution ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("temperature", "top_k", "expected"),
    [
        (1.0, 0, [0.6, 0.3, 0.1]),
        (2.0, 0, np.sqrt([0.6, 0.3, 0.1]) / np.sqrt([0.6, 0.3, 0.1]).sum()),
        (1.0, 2, [2 / 3, 1 / 3, 0.0]),
    ],
)
def test_empirical_frequencies(temperature: float, top_k: int, expected: list[float]) -> None:
    logits = np.log(np.array([0.6, 0.3, 0.1], dtype=np.float32))
    n = 20_000
    sampled = draws(SamplingOptions(temperature=temperature, top_k=top_k, seed=42), logits, n=n)
    frequencies = np.bincount(sampled, minlength=3) / n
    np.testing.assert_allclose(frequencies, expected, atol=0.02)
    if expected[2] == 0.0:
        assert frequencies[2] == 0.0


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (SamplingOptions(temperature=-1.0), "--temperature -1 must be >= 0"),
        (SamplingOptions(temperature=float("nan")), "--temperature nan must be a finite number"),
        (SamplingOptions(temperature=float("inf")), "--temperature inf must be a finite number"),
        (SamplingOptions(temperature="hot"), "--temperature 'hot' must be a number"),  # type: ignore[arg-type]
        (SamplingOptions(top_k=-2), "--top-k -2 must be >= 0"),
        (SamplingOptions(top_k=1.5), "--top-k 1.5 must be an integer"),  # type: ignore[arg-type]
        (SamplingOptions(top_k=True), "--top-k True must be an integer"),
        (SamplingOptions(top_p=1.5), r"--top-p 1.5 must be in \(0, 1\]"),
        (SamplingOptions(top_p=0.0), r"--top-p 0 must be in \(0, 1\]"),
        (SamplingOptions(top_p=-0.1), r"--top-p -0.1 must be in \(0, 1\]"),
        (SamplingOptions(top_p=float("nan")), r"--top-p nan must be in \(0, 1\]"),
        (SamplingOptions(top_p=float("inf")), r"--top-p inf must be in \(0, 1\]"),
        (SamplingOptions(seed=-1), "--seed -1 must be a non-negative integer"),
        (SamplingOptions(seed=2.0), "--seed 2 must be a non-negative integer"),  # type: ignore[arg-type]
    ],
)
def test_bad_options_raise_one_line(options: SamplingOptions, message: str) -> None:
    with pytest.raises(OptionError, match=f"^{message}") as info:
        options.validate()
    assert "\n" not in str(info.value)
    with pytest.raises(OptionError, match=f"^{message}"):
        Sampler(options)


def test_good_options_validate() -> None:
    for options in (
        SamplingOptions(),
        SamplingOptions(temperature=0.7, top_k=50, top_p=0.95, seed=2**70),
        SamplingOptions(temperature=1, top_k=np.int64(3), top_p=1, seed=np.uint32(7)),
    ):
        options.validate()
        Sampler(options)


@pytest.mark.parametrize(
    "logits",
    [
        np.zeros((2, 3)),
        np.zeros(0),
        np.array([0.0, np.nan]),
        np.array([0.0, np.inf]),
        np.array([-np.inf, -np.inf]),
        np.array([1 + 1j, 0j]),
        np.array(["a", "b"]),
    ],
)
@pytest.mark.parametrize("temperature", [0.0, 1.0])
def test_bad_logits_raise_value_error(logits: np.ndarray, temperature: float) -> None:
    with pytest.raises(ValueError, match="logits"):
        Sampler(SamplingOptions(temperature=temperature)).next_token(logits)
