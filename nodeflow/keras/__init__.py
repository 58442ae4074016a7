"""Workflow <-> Keras: translator, shape inference, importer, code export.

Importing this package does not import TensorFlow; :func:`load_keras` does, once,
when a function here first needs it.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile

# TensorFlow's native start-up lines that say nothing to a NodeFlow user (written
# before absl logging is initialised, so TF_CPP_MIN_LOG_LEVEL cannot silence them)
_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWE]\d{4} .*(port\.cc|cudart_stub\.cc|cuda_platform\.cc|cpu_feature_guard\.cc|cuda_executor\.cc"
    r"|cuda_dnn\.cc|cuda_fft\.cc|cuda_blas\.cc|gpu_device\.cc).*"
    r"|To enable the following instructions: .*|)$"
)

_keras = None


@contextlib.contextmanager
def _filtered_stderr():
    """Send file descriptor 2 to a temporary file, then replay what is not noise."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", "replace")
            kept = [line for line in text.splitlines() if not _NOISE.match(line)]
            if kept:
                print("\n".join(kept), file=sys.stderr)


def load_keras():
    """Import TensorFlow and Keras once, without TensorFlow's native start-up chatter."""
    global _keras
    if _keras is None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # errors reach Python as exceptions
        with _filtered_stderr():
            import keras
            import tensorflow as tf

            tf.config.list_physical_devices()  # probes CUDA now, inside the filter
        _keras = keras
    return _keras
