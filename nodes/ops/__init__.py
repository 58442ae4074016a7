"""Operation nodes: the ``keras.ops`` tensor math written between layers (``x + y``,
``x * 0.5``, ``x[:, -1]``, ``ops.mean``...), declared as a table in ``catalogue``, with
a generic node for any other Keras operation in ``generic``."""
