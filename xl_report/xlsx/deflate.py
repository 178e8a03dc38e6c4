"""The raw-deflate library: ISA-L where its wheel exists (same stream format as zlib, ~2x faster to inflate,
~5x faster to deflate at low levels), zlib otherwise."""

from __future__ import annotations

import types
import zlib

fast_zlib: types.ModuleType
try:
    from isal import isal_zlib as fast_zlib
except ImportError:  # a platform without its wheel: same streams, slower
    fast_zlib = zlib

ERRORS: tuple[type[Exception], ...] = (zlib.error, fast_zlib.error)  # what a corrupt stream raises
