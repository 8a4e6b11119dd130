"""Fuzz reproducers whose bug is not fixed yet, by file stem, with the reason.

Each listed reproducer runs as a strict xfail (test_regressions.py): fixing its bug
makes the test fail until its entry is removed here. None is open: the first one,
fuzz_seed11000033_O2 (where() over a bool input crashed csim at -O2 because the
hls_stream.h shim's ring<bool>::front() returned a dangling reference), is fixed.
"""

OPEN: dict[str, str] = {}
