"""reportgen: static reports that explain Keras text classifier predictions with Grad-CAM.

The public API is imported lazily so that `import reportgen` (and the CLI's --help and validate) never
pays for TensorFlow.
"""

__version__ = "0.1.0"

__all__ = ["load_model", "explain", "explain_prediction", "format_as_html", "show_prediction"]


def __getattr__(name):
    if name in __all__:
        from reportgen import api

        return getattr(api, name)
    raise AttributeError(f"module 'reportgen' has no attribute {name!r}")
