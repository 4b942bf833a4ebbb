"""Format-neutral views of the results: colour scales, spans, page plan, summaries, and what every page shows
(`views`: panels, bars, captions, notes, tables), read by the site and the PDF alike.

Imports: errors, results, text; never render, output, engine, models, metrics, commands, build, cli, api or
TensorFlow/Keras (a renderer reads these views; they never know about HTML or PDF).
"""
