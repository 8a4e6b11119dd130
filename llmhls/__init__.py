"""llmhls: compile PyTorch models, LLMs first, into Vitis HLS accelerators through MLIR."""

__version__ = "0.1.0"
