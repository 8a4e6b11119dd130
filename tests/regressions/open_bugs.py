"""Fuzz reproducers whose bug is not fixed yet, by file stem, with the reason.

The C-simulation shim hls_templates/include/hls_stream.h stores a stream in a
std::vector<T>; ring<T>::front() returns `const T&`, which for std::vector<bool>
binds a temporary (its operator[] returns bool by value): reading any
hls::stream<bool> is undefined behaviour and crashes at g++ -O2. Returning T by
value fixes it (checked by hand on fuzz_seed11000033_O2).
"""

BOOL_STREAM = "hls_stream.h: ring<bool>::front() returns a dangling reference"
OPEN = {"fuzz_seed11000033_O2": BOOL_STREAM}
