"""Renderers: the HTML site, the PDF and notebook fragments, drawn from the format-neutral views of
`reportgen.report` over the templates in `templates/`.

Imports: errors, results, report, text (offsets), output (the writer); never TensorFlow/Keras, engine,
models, metrics, commands, build, cli or api.
"""
