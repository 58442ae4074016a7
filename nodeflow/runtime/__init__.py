"""Executes workflows: scheduling, run directories, events, devices.

Importing this package imports neither Qt nor TensorFlow.
"""
