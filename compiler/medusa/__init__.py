"""Medusa decoding: extra heads that guess several tokens ahead, checked in one tree step.

heads.py holds the heads and their file, tree.py the candidate tree, decode.py the
PyTorch reference decoder with exact greedy verification, data.py and train.py the
self-distillation that trains the heads on the model's own answers.
"""
