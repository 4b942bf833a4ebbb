"""Compact, columnar results: every (document, layer, target) map once, in results/maps.parquet.

Imports: errors, results, engine.variants and engine.resize (numpy and scipy only: no TensorFlow), text.padding,
pyarrow; never metrics, report, render, output, commands, build, cli or api.

`table_of` turns explained documents into rows, `MapsWriter` streams rows into the Parquet file, and
`read_results(DIR)` gives a built report's results back with every heatmap variant derived from the stored maps
exactly as the build derived them.
"""

from reportgen.store.read import read_maps, read_results, results_tables
from reportgen.store.table import SCHEMA, MapsWriter, documents_of, table_of

__all__ = ["SCHEMA", "MapsWriter", "documents_of", "read_maps", "read_results", "results_tables", "table_of"]
