"""A workflow's trained weights as a data-only file beside it, matched to layers by node id.

The file is a NumPy ``.npz`` archive read with ``allow_pickle=False``: plain arrays,
no code, so opening an imported workflow stays as safe as opening the workflow.
Each array is one variable of one layer, keyed ``<node id>/<sub-layer>/<variable>``:
the sub-layer is the position in the layer's own layers (the layer itself first,
then e.g. an RNN's cell or a nested model's layers) and the variable is the key
Keras's ``save_own_variables`` gives it.  Going through ``save_own_variables`` /
``load_own_variables`` rather than ``get_weights`` keeps what layers do on loading
(a Normalization layer recomputes its statistics from the loaded ones).

Matching by node id lets a user edit the workflow around the weights: a layer added
later starts from its initializer, a deleted node's weights are ignored, and a node
whose shapes no longer fit its weights is named in the error.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

SEPARATOR = "/"


class WeightsFileError(ValueError):
    """The weights file cannot be read, or does not fit the layer it names."""


def _sublayers(layer) -> list:
    flatten = getattr(layer, "_flatten_layers", None)
    return list(flatten(include_self=True, recursive=True)) if flatten else [layer]


def layer_state(layer) -> dict[str, Any]:
    """The layer's variables (its sub-layers' included) as ``{"<sub>/<key>": array}``."""
    import numpy as np

    state = {}
    for index, sub in enumerate(_sublayers(layer)):
        store: dict[str, Any] = {}
        sub.save_own_variables(store)
        for key, value in store.items():
            state[f"{index}{SEPARATOR}{key}"] = np.asarray(value)
    return state


def save_weights(path: str | os.PathLike, layers: dict[str, Any]) -> int:
    """Write the variables of ``{node id: layer}`` to ``path`` atomically; returns the
    number of arrays written."""
    import numpy as np

    arrays = {}
    for node_id, layer in layers.items():
        for key, value in layer_state(layer).items():
            arrays[f"{node_id}{SEPARATOR}{key}"] = value
    folder = os.path.dirname(os.path.abspath(path))
    handle, temp = tempfile.mkstemp(prefix=".weights-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **arrays)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    return len(arrays)


def read_weights(path: str | os.PathLike) -> dict[str, dict[int, dict[str, Any]]]:
    """``{node id: {sub-layer index: {variable key: array}}}`` from a weights file."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as archive:
            grouped: dict[str, dict[int, dict[str, Any]]] = {}
            for name in archive.files:
                node_id, index, key = name.rsplit(SEPARATOR, 2)
                grouped.setdefault(node_id, {}).setdefault(int(index), {})[key] = archive[name]
    except (OSError, ValueError, EOFError) as exc:
        raise WeightsFileError(f"{path}: not a readable weights file (expected a NumPy .npz "
                               f"archive of plain arrays): {exc}") from None
    return grouped


def load_weights(path: str | os.PathLike, layers: dict[str, Any]) -> list[str]:
    """Load the file's weights into ``{node id: built layer}``; returns the node ids loaded.

    Layers the file has nothing for keep their initial values.
    """
    loaded = []
    for node_id, stores in read_weights(path).items():
        layer = layers.get(node_id)
        if layer is None:
            continue
        subs = _sublayers(layer)
        try:
            if max(stores) >= len(subs):
                raise ValueError(f"the file has weights for {max(stores) + 1} sub-layers, the layer "
                                 f"has {len(subs)}")
            for index, sub in enumerate(subs):
                sub.load_own_variables(stores.get(index, {}))
        except ValueError as exc:
            raise WeightsFileError(f"node {node_id}: its weights in {os.path.basename(path)} do not "
                                   f"fit the layer: {str(exc).splitlines()[0]}") from None
        loaded.append(node_id)
    return loaded


LOADER_CODE = '''\
def load_weights(model, path):
    """Each layer's variables from a NodeFlow weights file (keys: layer/sub-layer/variable)."""
    stores = {}
    with numpy.load(path, allow_pickle=False) as archive:
        for name in archive.files:
            layer, index, key = name.rsplit("/", 2)
            stores.setdefault(layer, {}).setdefault(int(index), {})[key] = archive[name]
    names = {layer.name for layer in model.layers}
    for layer_name, subs in stores.items():
        if layer_name in names:
            layers = list(model.get_layer(layer_name)._flatten_layers(include_self=True, recursive=True))
            for index, sub in enumerate(layers):
                sub.load_own_variables(subs.get(index, {}))
'''
