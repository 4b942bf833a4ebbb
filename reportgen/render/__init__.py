"""Renderers: the HTML site, the PDF, notebook fragments and the terminal, drawn from the format-neutral views
of `reportgen.report` (`report.views`) over the templates in `templates/`. Drawing is done here: the
deletion-curve SVG (`curves`) and the stylesheets (the colour level rules come from `report.colors`).

Imports: errors, results, report, text (offsets), output (the writer); never TensorFlow/Keras, engine,
models, metrics, commands, build, cli or api.
"""
