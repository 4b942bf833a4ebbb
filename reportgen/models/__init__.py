"""Loading Keras models (Keras 3 and converted Keras 2 files), the layer table, capture and logits.

Imports: errors, results, TensorFlow/Keras; never text, engine, metrics, report, render, output, commands,
build, cli or api.
"""
