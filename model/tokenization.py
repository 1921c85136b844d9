"""WordPiece tokenisation for inference, straight from the ``tokenizers`` library.

Inference uses the base package's ``tokenizer.json`` through ``tokenizers``
rather than ``transformers.BertTokenizerFast``: the ids are the same (a test
checks every seed sentence), and not importing transformers saves about a
second of every cold start.
"""

from __future__ import annotations

import os
from pathlib import Path

from model.modeldir import base_model_path


class SentenceTokenizer:
    """Token ids of single sentences, ``[CLS] ... [SEP]``, at most ``max_length`` ids.

    Parameters
    ----------
    path:
        a ``tokenizer.json`` (default: the pinned base model's).
    max_length:
        longer sentences keep their first ``max_length - 1`` ids and ``[SEP]``.
    """

    def __init__(self, path: Path | str | None = None, max_length: int = 128):
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from tokenizers import Tokenizer

        self.path = Path(path) if path else base_model_path() / "tokenizer.json"
        self.max_length = max_length
        self._tok = Tokenizer.from_file(str(self.path))
        # The file pads to 128 for sentence-transformers; batches are padded here instead.
        self._tok.no_padding()
        self._tok.enable_truncation(max_length)
        self.pad_token_id = self._tok.token_to_id("[PAD]")

    def encode(self, sentences: list[str]) -> tuple[list[list[int]], int]:
        """Ids per sentence and how many sentences were truncated."""
        encodings = self._tok.encode_batch(sentences)
        return [e.ids for e in encodings], sum(1 for e in encodings if e.overflowing)
