"""reportgen: static reports that explain Keras text classifier predictions with Grad-CAM."""

__version__ = "0.1.0"
