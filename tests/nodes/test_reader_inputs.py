"""Readers given files they cannot read say which parameter to change: special files are
refused before they block, wrong encodings name the encoding parameter, and learner
settings beyond what TensorFlow handles are refused by validation."""

import os
import socket
import sys
import threading

import pytest

from nodeflow.core import Workflow, default_registry, validate
from nodeflow.core.errors import NodeRunError

CSV = default_registry()["data.CsvReader"]
PARQUET = default_registry()["data.ParquetReader"]


def read(spec, **params):
    return spec.run(None, {}, spec.resolve(params))["table"]


def _refused_without_blocking(spec, path):
    """Run the reader in a thread, so a reader that blocks fails the test instead of hanging it."""
    outcome = {}

    def target():
        try:
            read(spec, path=str(path))
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=60)
    if thread.is_alive():  # unblock the reader: open the pipe's other end once
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        thread.join(timeout=10)
        pytest.fail(f"the reader blocked on {path}")
    return outcome.get("error")


@pytest.mark.skipif(sys.platform == "win32", reason="named pipes are a POSIX feature")
@pytest.mark.parametrize("spec, kind", [(CSV, "CSV"), (PARQUET, "Parquet")])
def test_a_named_pipe_is_refused_instead_of_blocking(tmp_path, spec, kind):
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    error = _refused_without_blocking(spec, path)
    assert isinstance(error, NodeRunError)
    assert str(error) == f"path: expected a regular {kind} file, got {path} which is a named pipe (FIFO)"


@pytest.mark.skipif(sys.platform == "win32", reason="character devices are a POSIX feature")
def test_a_device_and_a_socket_are_refused(tmp_path):
    with pytest.raises(NodeRunError, match="which is a character device"):
        read(CSV, path="/dev/zero")
    path = tmp_path / "s.csv"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        with pytest.raises(NodeRunError, match="which is a socket"):
            read(CSV, path=str(path))
    finally:
        server.close()


def test_a_latin1_header_names_the_encoding_parameter(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("café,prix\n1,2\n".encode("latin-1"))
    with pytest.raises(NodeRunError) as exc:
        read(CSV, path=str(path))
    assert str(exc.value) == (f"encoding: {path} is not utf-8 text (byte 0xe9 at position 3); set "
                              "encoding to the file's encoding, e.g. latin-1 or cp1252")
    assert read(CSV, path=str(path), encoding="latin-1").column_names == ["café", "prix"]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le"])  # with and without a byte order mark
def test_a_utf16_file_is_recognised(tmp_path, codec):
    path = tmp_path / "wide.csv"
    path.write_bytes("a,b,c,d,e\n1,2,3,4,5\n".encode(codec))
    with pytest.raises(NodeRunError) as exc:
        read(CSV, path=str(path))
    assert "looks like UTF-16" in str(exc.value) and "set encoding to utf-16" in str(exc.value)
    assert read(CSV, path=str(path), encoding=codec).column_names == ["a", "b", "c", "d", "e"]


def test_an_unknown_encoding_is_named(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a\n1\n")
    with pytest.raises(NodeRunError, match="encoding: expected a known text encoding"):
        read(CSV, path=str(path), encoding="klingon-8")


@pytest.mark.parametrize("name, value", [("batch_size", 2**63), ("epochs", 10**12), ("seed", 2**40),
                                         ("steps_per_execution", 2**62)])
def test_learner_counts_beyond_tensorflow_are_refused_by_validation(name, value):
    wf = Workflow()
    wf.add_node("learn.NetworkLearner", {"feature_columns": ["a"], "target_columns": ["b"],
                                         "loss": "huber"}, node_id="learner")
    wf.set_param("learner", name, value, check=False)
    (problem,) = [p for p in validate(wf) if p.where == name]
    assert str(problem).startswith(f"node learner: {name}: expected an integer >= ")
    assert str(problem).endswith(f"got {value}")
