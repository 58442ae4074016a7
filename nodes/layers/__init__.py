"""Keras layer nodes: one node type per Keras layer, parameters with Keras's defaults."""
