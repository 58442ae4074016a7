"""One check for imported models: `nodeflow import` (weights kept) gives a workflow whose
model has the original's parameter count, layer count and predictions, and whose
exported script builds a model with the same parameter count."""

import numpy as np

from nodeflow.cli import main
from nodeflow.core import load
from nodeflow.keras.export import export_python
from nodeflow.keras.translator import translate


def import_saved(model, tmp_path, capsys, *extra):
    """The model saved as .keras and imported with the CLI; returns (workflow, output)."""
    path = tmp_path / "model.keras"
    model.save(path)
    output = tmp_path / "wf.nflow"
    code = main(["import", str(path), "-o", str(output), *extra])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    return load(output), printed.out


def predictions(model, x):
    """The model's outputs (inference mode) as a list, in the order of its output names.

    An eager call, not ``predict``: tracing a graph function of a deep model costs several
    times more than running it once on a small batch, and the numbers are the same."""
    out = model(x, training=False)
    if isinstance(out, dict):
        out = [out[name] for name in model.output_names]
    return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def check_roundtrip(model, x, tmp_path, capsys, rtol=1e-5, export=True):
    """Asserts the round trip; returns the imported workflow."""
    workflow, _ = import_saved(model, tmp_path, capsys)
    rebuilt = translate(workflow).model
    assert rebuilt.count_params() == model.count_params()
    assert len(rebuilt.layers) == len(model.layers)
    if x is not None:
        for got, want in zip(predictions(rebuilt, x), predictions(model, x), strict=True):
            np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-6)
    if export:
        namespace = {"__file__": str(tmp_path / "script.py")}
        exec(compile(export_python(workflow, script_dir=tmp_path), "script.py", "exec"), namespace)
        assert namespace["build_model"]().count_params() == model.count_params()
    return workflow
