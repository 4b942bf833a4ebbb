"""Text pipelines: a document -> the model's ids, its tokens, and their spans in the original text.

Importing this package never imports TensorFlow (the TextVectorization pipeline imports it when it runs).
Imports: errors, results; never engine, metrics, report, render, output, commands, build, cli or api.
"""

from reportgen.text.aggregate import WordWeight, aggregate_to_words
from reportgen.text.base import Encoded, TextPipeline
from reportgen.text.char import CharPipeline
from reportgen.text.hook import HookPipeline
from reportgen.text.padding import fit_length, strip_end_padding, text_positions, trim_padding
from reportgen.text.prevectorized import PrevectorizedPipeline
from reportgen.text.vectorization import TextVectorizationPipeline
from reportgen.text.vocab import Vocabulary, load_vocabulary
from reportgen.text.word import KERAS2_FILTERS, WordPipeline, split_words

__all__ = [
    "CharPipeline", "Encoded", "HookPipeline", "KERAS2_FILTERS", "PrevectorizedPipeline", "TextPipeline",
    "TextVectorizationPipeline", "Vocabulary", "WordPipeline", "WordWeight", "aggregate_to_words",
    "fit_length", "load_vocabulary", "split_words", "strip_end_padding", "text_positions", "trim_padding",
]
