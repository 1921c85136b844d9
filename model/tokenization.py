"""WordPiece tokenisation for inference, straight from the ``tokenizers`` library.

Inference uses the base package's ``tokenizer.json`` through ``tokenizers``
rather than ``transformers.BertTokenizerFast``: the ids are the same (a test
checks every seed sentence), and not importing transformers saves about a
second of every cold start.
"""

from __future__ import annotations

import os
from pathlib import Path



#: Characters of a sentence handed to the tokenizer per allowed token.  Only the first
#: ``max_length`` ids are kept, and a WordPiece id covers at most 100 characters of a
#: word (longer words are one [UNK]), so clipping at this budget keeps those ids while
#: memory stays bounded: the tokenizer holds ~150 bytes per token of its input, 2.9 GB
#: for one 20 MB sentence without punctuation if given whole.
CHARS_PER_TOKEN = 128


class SentenceTokenizer:
    """Token ids of single sentences, ``[CLS] ... [SEP]``, at most ``max_length`` ids.

    Parameters
    ----------
    path:
        a ``tokenizer.json`` (default: the shipped MiniLM encoder's, see :mod:`credscore.encoders`).
    max_length:
        longer sentences keep their first ``max_length - 1`` ids and ``[SEP]``.
    """

    def __init__(self, path: Path | str | None = None, max_length: int = 128):
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from tokenizers import Tokenizer

        if path is None:
            from credscore.encoders import ENCODERS

            path = ENCODERS.get("minilm-l6-v2").tokenizer_file()
        self.path = Path(path)
        self.max_length = max_length
        self._tok = Tokenizer.from_file(str(self.path))
        # The file pads to 128 for sentence-transformers; batches are padded here instead.
        self._tok.no_padding()
        self._tok.enable_truncation(max_length)
        self.pad_token_id = self._tok.token_to_id("[PAD]")
        self.cls_token_id = self._tok.token_to_id("[CLS]")
        self.sep_token_id = self._tok.token_to_id("[SEP]")

    def _encode(self, sentences: list[str]):
        """``tokenizers`` encodings of ``sentences`` and per sentence whether it was truncated.

        Sentences longer than ``max_length * CHARS_PER_TOKEN`` characters are
        clipped before tokenising (they are truncated in any case).
        """
        budget = self.max_length * CHARS_PER_TOKEN
        encodings = self._tok.encode_batch([s if len(s) <= budget else s[:budget] for s in sentences])
        return encodings, [bool(e.overflowing) or len(s) > budget for e, s in zip(encodings, sentences)]

    def encode(self, sentences: list[str]) -> tuple[list[list[int]], list[bool]]:
        """Ids per sentence (``[CLS] ... [SEP]``), and per sentence whether it was truncated."""
        encodings, truncated = self._encode(sentences)
        return [e.ids for e in encodings], truncated

    def encode_pieces(self, sentences: list[str]) -> tuple[list[list[int]], list[list[tuple[int, int]]], list[bool]]:
        """Per sentence: ids without ``[CLS]``/``[SEP]``, each id's character offsets in it, and truncation.

        The pieces of one sentence are what a joint window (:mod:`credscore.windows`) puts between two ``[SEP]``.
        """
        encodings, truncated = self._encode(sentences)
        return [e.ids[1:-1] for e in encodings], [list(e.offsets[1:-1]) for e in encodings], truncated
