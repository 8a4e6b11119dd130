"""The channel-parallel decode engine (`llmhls compile --engine stream`)."""
