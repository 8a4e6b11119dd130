"""llmhls passes: one module per pass, registered by name (see `registry`)."""
