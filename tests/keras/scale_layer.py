"""A registered custom layer for the importer's tests: a trained per-feature scale times a
fixed factor, as a user's own layer class would be written."""


def scale_class():
    """The ``Scale`` layer class, registered with Keras as ``nodeflow_test>Scale`` on first use
    (Keras loads lazily in the tests; a second call returns the registered class)."""
    from nodeflow.keras import load_keras

    keras = load_keras()
    known = keras.saving.get_custom_objects()
    if "nodeflow_test>Scale" in known:
        return known["nodeflow_test>Scale"]

    @keras.saving.register_keras_serializable(package="nodeflow_test")
    class Scale(keras.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, shape):
            self.w = self.add_weight(shape=(shape[-1],), initializer="random_normal")

        def call(self, x):
            return x * self.w * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    return Scale
