"""The text pipeline a spec's `input:` section describes, for a given model."""

from __future__ import annotations

from pathlib import Path

from reportgen.errors import SpecError
from reportgen.text.base import TextPipeline


def pipeline_from_spec(input_spec, vocabulary_path: Path | None, vectorizer=None, base_dir: Path | None = None,
                       vocabulary_display: str | None = None) -> TextPipeline:
    """Hook, pre-vectorised ids, the model's own TextVectorization, or a word/char vocabulary."""
    level = input_spec.level
    if input_spec.hook:
        from reportgen.text.hook import HookPipeline

        return HookPipeline(input_spec.hook, level=level if level in ("word", "char") else "word",
                            pad_id=input_spec.pad_value, base_dir=base_dir)
    vocab = None
    if vocabulary_path is not None:
        from reportgen.text.vocab import load_vocabulary

        vocab = load_vocabulary(vocabulary_path, index_offset=input_spec.index_offset)
    if getattr(input_spec, "tokenizer", None) == "wordpiece":
        if vocab is None:
            raise SpecError("input.vocabulary: tokenizer wordpiece needs the vocabulary file the model was trained "
                            "with (one piece per line, id = line number)")
        from reportgen.text.wordpiece import WordPiecePipeline

        return WordPiecePipeline(vocab, lower=input_spec.lower, strip_accents=input_spec.strip_accents,
                                 oov_token=input_spec.oov_token or "[UNK]", start_token=input_spec.start_token,
                                 pad_id=input_spec.pad_value)
    if level == "ids":
        from reportgen.text.prevectorized import PrevectorizedPipeline

        return PrevectorizedPipeline(vocab, level="word", pad_id=input_spec.pad_value)
    if vectorizer is not None and vocab is None:
        from reportgen.text.vectorization import TextVectorizationPipeline

        return TextVectorizationPipeline(vectorizer)
    if vocab is None:
        raise SpecError("input.vocabulary: the model takes token ids, so the spec needs the vocabulary that maps "
                        "words (or characters) to them, or input.level: ids with pre-vectorised samples")
    if level == "char":
        from reportgen.text.char import CharPipeline

        return CharPipeline(vocab, lower=input_spec.lower, normalize_words=input_spec.strip_punctuation,
                            oov_token=input_spec.oov_token, start_token=input_spec.start_token,
                            pad_id=input_spec.pad_value)
    from reportgen.text.word import WordPipeline

    return WordPipeline(vocab, lower=input_spec.lower, strip_punctuation=input_spec.strip_punctuation,
                        start_token=input_spec.start_token, oov_token=input_spec.oov_token,
                        pad_id=input_spec.pad_value)
