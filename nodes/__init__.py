"""The NodeFlow node catalogue.

Every module below this package that declares node types lists them in a
module-level ``NODES`` tuple; ``nodeflow.core.registry`` discovers them.  Node
modules import nothing heavy at import time: TensorFlow, Keras, NumPy and pyarrow
are imported inside ``build`` / ``run``.
"""
