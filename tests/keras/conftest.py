"""Keras-side tests import TensorFlow (a few seconds, once per session)."""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def keras():
    from nodeflow.keras import load_keras

    return load_keras()


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/keras/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.keras)
