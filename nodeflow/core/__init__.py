"""The workflow model, standard library only: no Qt, no TensorFlow, no NumPy.

Node specs and parameter types, the registry, the workflow graph, validation and
the .nflow file format.  Everything above (translator, runtime, CLI, GUI) builds
on this package and nothing here imports upwards.
"""

from .errors import NodeFlowError, Problem, ProblemsError, RegistryError, WorkflowEditError, WorkflowFileError
from .fileformat import FORMAT, VERSION, dumps, load, loads, save
from .registry import Registry, default_registry
from .spec import NodeSpec
from .validation import topological_order, validate
from .workflow import Edge, Node, Workflow

__all__ = [
    "FORMAT",
    "VERSION",
    "Edge",
    "Node",
    "NodeFlowError",
    "NodeSpec",
    "Problem",
    "ProblemsError",
    "Registry",
    "RegistryError",
    "Workflow",
    "WorkflowEditError",
    "WorkflowFileError",
    "default_registry",
    "dumps",
    "load",
    "loads",
    "save",
    "topological_order",
    "validate",
]
