"""Workflow <-> Keras.  Importing this package does not import TensorFlow; its
functions do, when called."""
