"""The batched Grad-CAM engine: documents in, heatmaps (as `reportgen.results` records) out.

Imports: errors, models, text, results, TensorFlow; never metrics, report, render, output, commands, build,
cli or api (those sit to its right).
"""
