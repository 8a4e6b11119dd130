"""The precision figures: relative logit error and top-1 agreement, on logits made by hand."""

from __future__ import annotations

import numpy as np
import pytest

from llmhls.runtime.precision import compare_logits, teacher_forced_logits


def test_figures_of_hand_made_logits() -> None:
    reference = np.array([[1.0, 4.0, -2.0], [3.0, 0.0, -6.0], [0.5, 0.25, 2.0]])
    logits = reference.copy()
    logits[0, 0] += 0.4  # error 0.4 / 4, top-1 unchanged
    logits[1, 1] += 3.5  # error 3.5 / 6, top-1 moves from 0 to 1
    figures = compare_logits(logits, reference)
    assert figures.steps == 3
    assert figures.max_rel_logit_error == pytest.approx(3.5 / 6)
    assert figures.top1_agreement == pytest.approx(2 / 3)
    assert compare_logits(reference, reference).max_rel_logit_error == 0.0
    with pytest.raises(ValueError, match="differ in shape"):
        compare_logits(logits[:2], reference)


class _RecordingBackend:
    """Logits that encode the call: prefill gives [start_pos, len], decode gives [token, pos]."""

    name = "recording"

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def reset(self) -> None:
        self.calls.append(("reset",))

    def prefill(self, tokens: np.ndarray, start_pos: int) -> np.ndarray:
        self.calls.append(("prefill", tokens.tolist(), start_pos))
        return np.array([start_pos, len(tokens)], dtype=np.float32)

    def decode(self, token: int, pos: int) -> np.ndarray:
        self.calls.append(("decode", token, pos))
        return np.array([token, pos], dtype=np.float32)


def test_teacher_forcing_feeds_the_given_sequence() -> None:
    backend = _RecordingBackend()
    logits = teacher_forced_logits(backend, [5, 6], [5, 6, 9, 8, 7])
    # One row per new token: the prefill predicts 9, decoding 9 predicts 8, 8 predicts 7.
    assert logits.tolist() == [[0, 2], [9, 2], [8, 3]]
    assert backend.calls == [
        ("reset",), ("prefill", [5, 6], 0), ("decode", 9, 2), ("decode", 8, 3),
    ]  # fmt: skip
