"""The LLM path: Hugging Face / GGUF models to prefill and decode kernels."""
