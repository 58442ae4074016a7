"""NodeFlow: a KNIME-style visual workbench for deep learning with Keras.

Layers (imports only go downwards): ``nodeflow.gui`` -> ``nodeflow.cli`` ->
``nodeflow.runtime`` -> ``nodeflow.keras`` -> ``nodeflow.core``.  Node types are
declared once each in the top-level ``nodes`` package.
"""

__version__ = "0.1.0"
