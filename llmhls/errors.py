"""User-facing errors: each carries one line that names the thing at fault.

The CLI prints `error: <message>` and exits non-zero for any LlmhlsError; only
`--debug` shows the traceback. Anything else escaping is a bug in llmhls.
"""


class LlmhlsError(Exception):
    """Base class of every error reported to the user as one line."""

    exit_code = 1


class InputError(LlmhlsError):
    """A model file, input file or project directory is missing or malformed."""

    exit_code = 2


class OptionError(LlmhlsError):
    """A command-line option or API argument has a bad value."""

    exit_code = 2


class UnsupportedError(LlmhlsError):
    """An op, dtype or construct that llmhls cannot compile (yet)."""

    exit_code = 3


class CSimError(LlmhlsError):
    """Building or running the C-simulation failed (not a numeric mismatch)."""

    exit_code = 4
