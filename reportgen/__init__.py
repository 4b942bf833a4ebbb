"""reportgen: static reports that explain Keras text classifier predictions with Grad-CAM.

The public API is imported lazily so that `import reportgen` (and the CLI's --help and validate) never
pays for TensorFlow; reading a built report's results (`read_results`, `read_maps`) never needs it.
"""

__version__ = "0.1.0"

__all__ = ["load_model", "explain", "explain_prediction", "format_as_html", "show_prediction", "read_results",
           "read_maps", "save_results"]
_STORED = ("read_results", "read_maps")


def __getattr__(name):
    if name in _STORED:
        from reportgen import store

        return getattr(store, name)
    if name in __all__:
        from reportgen import api

        return getattr(api, name)
    raise AttributeError(f"module 'reportgen' has no attribute {name!r}")
