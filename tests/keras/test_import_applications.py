"""Every architecture of the installed keras.applications (found by introspection,
weights=None) imports.

Three tiers keep the file within CI time on two cores:
- every architecture, at its default input size and with its ImageNet top: imported,
  translated back, same parameter count, layer count and output shapes (no file, no
  predictions: building is what costs, and parameter counts of the largest ones are the
  point);
- one architecture per family (a family is the Keras module that defines it), built with a
  small input (the architecture's smallest allowed square) and ten classes: the full check
  of `check_roundtrip` (saved as .keras, `nodeflow import` with its weights, predictions
  within 1e-5, exported script with the same parameter count).  The graph is the same
  one as at full size, only its spatial sizes and the top's width differ;
- the full check of every architecture at its default size, which takes long: opt-in with
  NODEFLOW_HEAVY_TESTS=1.
"""

import inspect
import os

import numpy as np
import pytest

from nodeflow.keras import load_keras
from nodeflow.keras.importer import import_model
from nodeflow.keras.translator import translate

from .roundtrip import check_roundtrip

pytestmark = pytest.mark.slow

HEAVY = os.environ.get("NODEFLOW_HEAVY_TESTS") == "1"
heavy = [pytest.mark.heavy,
         pytest.mark.skipif(not HEAVY, reason="full check at the default input size takes minutes "
                                             "per model; set NODEFLOW_HEAVY_TESTS=1 to run it")]

# The smallest variant of each family, checked in full at a small input size.  A family that
# a newer Keras adds fails test_every_family_has_a_full_check until it is named here.
REPRESENTATIVES = ["ConvNeXtTiny", "DenseNet121", "EfficientNetB0", "EfficientNetV2B0",
                   "InceptionResNetV2", "InceptionV3", "MobileNet", "MobileNetV2",
                   "MobileNetV3Small", "NASNetMobile", "ResNet50", "ResNet50V2", "VGG16",
                   "VGG19", "Xception"]
SMALL_SIDES = (32, 75)  # 32 is Keras's minimum for most; Inception and Xception need 75 (71)


def architectures() -> list[str]:
    """The model constructors keras.applications exports (capitalised functions)."""
    applications = load_keras().applications
    return sorted(name for name, value in vars(applications).items()
                  if name[:1].isupper() and inspect.isfunction(value))


def family(name: str) -> str:
    return getattr(load_keras().applications, name).__module__


def random_images(model, seed=7):
    size = tuple(224 if d is None else d for d in model.inputs[0].shape[1:])
    return np.random.default_rng(seed).uniform(0, 255, size=(2, *size)).astype("float32")


def small_model(keras, name):
    """The architecture at the smallest square input it accepts, with ten classes."""
    build = getattr(keras.applications, name)
    for side in SMALL_SIDES:
        try:
            return build(weights=None, input_shape=(side, side, 3), classes=10)
        except ValueError as exc:  # "Input size must be at least 75x75"
            error = exc
    raise error


def test_architectures_are_enumerated(keras):
    names = architectures()
    assert {"ConvNeXtTiny", "MobileNetV3Small", "ResNet50", "VGG16"} <= set(names)


def test_every_family_has_a_full_check(keras):
    assert set(REPRESENTATIVES) <= set(architectures())
    assert {family(n) for n in architectures()} == {family(n) for n in REPRESENTATIVES}


@pytest.mark.parametrize("name", architectures())
def test_application_imports_with_the_same_counts(name, keras):
    keras.backend.clear_session()  # keeps the session's graph state small across 40 models
    original = getattr(keras.applications, name)(weights=None)
    rebuilt = translate(import_model(original).workflow).model
    assert rebuilt.count_params() == original.count_params()
    assert len(rebuilt.layers) == len(original.layers)
    assert [tuple(t.shape) for t in rebuilt.outputs] == [tuple(t.shape) for t in original.outputs]


@pytest.mark.parametrize("name", REPRESENTATIVES)
def test_family_representative_round_trips_with_its_weights(name, keras, tmp_path, capsys):
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    original = small_model(keras, name)
    check_roundtrip(original, random_images(original), tmp_path, capsys)


@pytest.mark.parametrize("name", [pytest.param(n, marks=heavy) for n in architectures()])
def test_application_round_trips_with_its_weights_at_full_size(name, keras, tmp_path, capsys):
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    original = getattr(keras.applications, name)(weights=None)
    check_roundtrip(original, random_images(original), tmp_path, capsys)
