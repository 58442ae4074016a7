"""`nodeflow import` of damaged or foreign .keras files: exit 3 and a message naming the
file (and the class or layer when known), never a traceback."""

import io
import json
import random
import subprocess
import sys
import zipfile

import pytest

from nodeflow.cli import EXIT_INVALID, main

pytestmark = pytest.mark.keras


def _rewrite(data: bytes, change) -> bytes:
    """The .keras archive ``data`` with each entry passed through ``change(name, bytes)``
    (``None`` drops the entry)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            content = change(name, zin.read(name))
            if content is not None:
                zout.writestr(name, content)
    return out.getvalue()


def _config_change(data: bytes, edit) -> bytes:
    def change(name, content):
        if name != "config.json":
            return content
        config = json.loads(content)
        edit(config)
        return json.dumps(config).encode()
    return _rewrite(data, change)


def _damaged(data: bytes) -> dict[str, bytes]:
    """Variants of a valid .keras file: cut, garbage, flipped bytes, entries removed or altered."""
    def layer(config, i):
        return config["config"]["layers"][i]

    cases = {
        "empty": b"",
        "garbage": b"not a zip archive " * 20,
        "truncated_half": data[: len(data) // 2],
        "truncated_tail": data[:-30],
        "no_config": _rewrite(data, lambda n, c: None if n == "config.json" else c),
        "no_weights": _rewrite(data, lambda n, c: None if n.endswith(".h5") else c),
        "config_not_json": _rewrite(data, lambda n, c: b"{not json" if n == "config.json" else c),
        "config_a_list": _rewrite(data, lambda n, c: b"[1, 2]" if n == "config.json" else c),
        "config_wrong_type": _config_change(data, lambda c: c.__setitem__("config", 5)),
        "layers_wrong_type": _config_change(data, lambda c: c["config"].__setitem__("layers", "x")),
        "units_a_text": _config_change(data, lambda c: layer(c, 1)["config"].__setitem__("units", "many")),
        "weights_garbage": _rewrite(data, lambda n, c: b"\x89HDF garbage" if n.endswith(".h5") else c),
    }
    rng = random.Random(12)
    for i in range(8):
        flipped = bytearray(data)
        for _ in range(1 + i * 3):
            flipped[rng.randrange(len(flipped))] ^= 0xFF
        cases[f"flipped_{i}"] = bytes(flipped)
    return cases


@pytest.fixture(scope="module")
def good_keras(tmp_path_factory):
    from nodeflow.keras import load_keras

    keras = load_keras()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="hidden"),
                              keras.layers.Dense(1, name="out")])
    path = tmp_path_factory.mktemp("model") / "good.keras"
    model.save(path)
    return path.read_bytes()


def test_every_damaged_keras_file_exits_3_naming_the_file(good_keras, tmp_path, capsys):
    for name, content in _damaged(good_keras).items():
        path = tmp_path / f"{name}.keras"
        path.write_bytes(content)
        status = main(["import", str(path), "-o", str(tmp_path / f"{name}.nflow")])
        err = capsys.readouterr().err
        if status == 0:  # a flip that only hit bytes nothing reads is fine
            continue
        assert status == EXIT_INVALID, (name, err)
        assert str(path) in err, (name, err)
        assert "Traceback" not in err, (name, err)


def test_a_damaged_archive_is_called_damaged(good_keras, tmp_path, capsys):
    path = tmp_path / "cut.keras"
    path.write_bytes(good_keras[: len(good_keras) // 2])
    assert main(["import", str(path)]) == EXIT_INVALID
    assert "not a readable .keras file (expected a zip archive)" in capsys.readouterr().err
    path.write_bytes(_rewrite(good_keras, lambda n, c: None if n == "config.json" else c))
    assert main(["import", str(path)]) == EXIT_INVALID
    assert "damaged: it has no config.json" in capsys.readouterr().err


def test_an_unregistered_custom_class_is_named_with_its_layer(good_keras, tmp_path):
    path = tmp_path / "custom.keras"
    path.write_bytes(_config_change(good_keras, lambda c: c["config"]["layers"][1].update(
        {"class_name": "MyLayer", "module": "mypkg.layers", "registered_name": "mypkg>MyLayer"})))
    result = subprocess.run([sys.executable, "-m", "nodeflow", "import", str(path), "-o",
                             str(tmp_path / "custom.nflow")], capture_output=True, text=True, timeout=300)
    assert result.returncode == EXIT_INVALID, result.stderr
    assert "Traceback" not in result.stderr
    assert "layer hidden uses the class MyLayer" in result.stderr
    assert not (tmp_path / "custom.nflow").exists()
