"""One module per `reportgen` subcommand, each with `run(...)`; `reportgen.cli` calls them.

Imports: a command is thin and imports the core (spec, models, text, engine, results, report, render, output,
build) but never another command; helpers two commands share live in the package they describe.
"""
