"""The text data pipeline: tokenise once, pad each batch to its longest text.

Texts are tokenised once when a dataset is built (``tokenize_texts``), so
token lengths are known up front: training batches are drawn from shuffled
buckets of similar length (``LengthBucketBatchSampler``) and prediction runs
over texts sorted by length, which keeps padding (and wasted compute) small.
``PadCollator`` pads each batch to its longest member only. With a frozen
encoder (``freeze_encoder=True``) a dataset holds the texts' precomputed
pooled embeddings instead of token ids, and batches stack those.
"""

import unicodedata
import warnings

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

#: An encoder to suggest for texts that a tokenizer reads as mostly unknown tokens:
#: its SentencePiece vocabulary covers emoji and a hundred languages' scripts.
COVERING_ENCODER = "cardiffnlp/twitter-xlm-roberta-base"


def tokenize_texts(tokenizer, texts, max_length):
    """Tokenise ``texts`` into lists of token ids of at most ``max_length``.

    Texts longer than ``max_length`` tokens are truncated, with one warning
    per call that says how many were. Texts of which more than half of the
    word pieces are the tokenizer's unknown token (emoji, or a script outside
    its vocabulary, for MiniLM's) get one warning per call too: the encoder
    reads them as the same few ``[UNK]`` tokens, so they get (nearly)
    identical scores. It counts them, names what their unknown pieces are
    (:func:`unknown_characters`) and suggests an encoder that covers them.

    Parameters
    ----------
    tokenizer : transformers.PreTrainedTokenizerBase
    texts : list of str
    max_length : int

    Returns
    -------
    list of list of int

    Examples
    --------
    >>> from skemo.nn.encoder import load_tokenizer
    >>> from skemo.utils._text_data import tokenize_texts
    >>> tok = load_tokenizer("all-MiniLM-L6-v2")
    >>> [len(ids) for ids in tokenize_texts(tok, ["so happy", ""], 16)]
    [4, 2]
    """
    texts = list(texts)
    offsets = bool(getattr(tokenizer, "is_fast", False))
    encoded = tokenizer(texts, add_special_tokens=True, truncation=False, verbose=False,
                        return_offsets_mapping=offsets)
    ids = encoded["input_ids"]
    _warn_unknown(tokenizer, texts, ids, encoded["offset_mapping"] if offsets else None)
    n_long = sum(len(row) > max_length for row in ids)
    if n_long:
        warnings.warn(
            f"{n_long} of {len(ids)} texts are longer than max_length={max_length} "
            "tokens and were truncated.", UserWarning, stacklevel=3)
        ids = [_truncate(row, max_length, tokenizer) for row in ids]
    return ids


def _warn_unknown(tokenizer, texts, ids, offsets):
    """Warn once about the texts whose word pieces are mostly ``tokenizer``'s unknown token."""
    unk = tokenizer.unk_token_id
    if unk is None:
        return
    special = set(tokenizer.all_special_ids) - {unk}
    causes, n_unknown = set(), 0
    for i, row in enumerate(ids):
        pieces = [token for token in row if token not in special]
        n_unk = sum(token == unk for token in pieces)
        if not n_unk or 2 * n_unk <= len(pieces):
            continue
        n_unknown += 1
        if offsets is None:   # a slow tokenizer: no spans, so every character of the text
            spans = [(0, len(texts[i]))]
        else:
            spans = [span for token, span in zip(row, offsets[i]) if token == unk]
        causes.update(unknown_characters("".join(texts[i][a:b] for a, b in spans)))
    if n_unknown:
        named = ", ".join(sorted(causes, key=lambda cause: (cause != "emoji", cause)))
        warnings.warn(
            f"{n_unknown} of {len(ids)} texts are mostly unknown tokens "
            f"({tokenizer.unk_token}) for this encoder's tokenizer, whose vocabulary "
            f"lacks their characters ({named or 'unknown'}): the encoder cannot tell "
            "them apart, so they get near-identical scores. An encoder whose tokenizer "
            f"covers them would read them, e.g. encoder={COVERING_ENCODER!r}.",
            UserWarning, stacklevel=4)


def unknown_characters(text):
    """What the characters of ``text`` are, as a warning names them: ``"emoji"`` or a script.

    Symbols (Unicode category ``So``, where emoji are) are ``"emoji"``;
    letters are named by their script as their Unicode names begin
    (``"Han"`` for CJK ideographs); spaces, punctuation, digits, marks and
    joiners (the variation selector of ``"❤️"``) are left out.

    Parameters
    ----------
    text : str

    Returns
    -------
    set of str

    Examples
    --------
    >>> from skemo.utils._text_data import unknown_characters
    >>> sorted(unknown_characters("😂 我 ❤️"))
    ['Han', 'emoji']
    """
    found = set()
    for char in text:
        category = unicodedata.category(char)
        if category == "So":
            found.add("emoji")
        elif category.startswith("L"):
            script = unicodedata.name(char, "UNKNOWN").split()[0]
            found.add("Han" if script == "CJK" else script.title())
    return found


def _truncate(row, max_length, tokenizer):
    return [row[i] for i in kept_positions(row, max_length, tokenizer)]


def kept_positions(ids, max_length, tokenizer):
    """The positions of the token ids ``ids`` that truncation to ``max_length`` keeps.

    The first tokens, and a final separator (or end-of-sequence) token.

    Examples
    --------
    >>> from skemo.nn.encoder import load_tokenizer
    >>> from skemo.utils._text_data import kept_positions
    >>> kept_positions([101, 7, 8, 9, 102], 3, load_tokenizer("all-MiniLM-L6-v2"))
    [0, 1, 4]
    """
    positions = list(range(len(ids)))
    if len(ids) <= max_length:
        return positions
    if ids[-1] in (tokenizer.sep_token_id, tokenizer.eos_token_id) and max_length > 1:
        return positions[: max_length - 1] + [positions[-1]]
    return positions[:max_length]


class TextDataset(Dataset):
    """Token ids of texts (or their precomputed embeddings), with optional targets.

    Parameters
    ----------
    input_ids : list of list of int, or ndarray of shape (n, H)
        Token ids per text, or -- for a frozen encoder (``freeze_encoder``) --
        a float array of the texts' pooled embeddings.
    y : ndarray or None
        Encoded targets: float (n, L) indicator or int (n,) class ids.
    lengths : array-like of int or None, default=None
        Token count per text; None counts the token ids (required with
        embeddings, whose rows say nothing of the texts' lengths).

    Examples
    --------
    >>> import numpy as np
    >>> from skemo.utils._text_data import TextDataset
    >>> ds = TextDataset([[101, 7, 102], [101, 102]])
    >>> len(ds), ds.lengths.tolist()
    (2, [3, 2])
    >>> TextDataset(np.zeros((2, 4), np.float32), lengths=[3, 2]).holds_embeddings
    True
    """

    def __init__(self, input_ids, y=None, lengths=None):
        self.input_ids = input_ids
        self.y = y
        if lengths is None:
            if self.holds_embeddings:
                raise ValueError("pass the texts' token lengths with embeddings.")
            lengths = np.fromiter((len(row) for row in input_ids), dtype=np.int64,
                                  count=len(input_ids))
        self.lengths = np.asarray(lengths, dtype=np.int64)

    @property
    def holds_embeddings(self):
        """Whether the rows are precomputed pooled embeddings rather than token ids."""
        return isinstance(self.input_ids, np.ndarray) and self.input_ids.dtype.kind == "f"

    def __len__(self):
        return len(self.input_ids)

    def __getitem__(self, i):
        target = self.y[i] if self.y is not None else 0
        return self.input_ids[i], target

    def subset(self, indices):
        """A new dataset holding the rows ``indices``, in that order."""
        indices = np.asarray(indices, dtype=np.int64)
        rows = (self.input_ids[indices] if self.holds_embeddings
                else [self.input_ids[i] for i in indices])
        return TextDataset(rows, None if self.y is None else self.y[indices],
                           lengths=self.lengths[indices])


class PadCollator:
    """Stack a batch, padding token ids on the right to the longest text.

    Rows that are precomputed embeddings (float arrays) are stacked into a
    float ``input_ids`` of shape ``(B, H)`` with ``attention_mask=None``,
    which :class:`~skemo.nn.encoder.TextEncoder` passes straight through.

    Parameters
    ----------
    pad_token_id : int

    Examples
    --------
    >>> from skemo.utils._text_data import PadCollator
    >>> X, y = PadCollator(0)([([5, 6, 7], 1), ([5], 0)])
    >>> X["input_ids"].tolist(), X["attention_mask"].tolist(), y.tolist()
    ([[5, 6, 7], [5, 0, 0]], [[1, 1, 1], [1, 0, 0]], [1, 0])
    """

    def __init__(self, pad_token_id):
        self.pad_token_id = pad_token_id

    def __call__(self, batch):
        rows, targets = zip(*batch)
        targets = torch.as_tensor(np.asarray(targets))
        if isinstance(rows[0], np.ndarray) and rows[0].dtype.kind == "f":
            return {"input_ids": torch.as_tensor(np.stack(rows)), "attention_mask": None}, targets
        width = max(len(row) for row in rows)
        input_ids = torch.full((len(rows), width), self.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            input_ids[i, : len(row)] = torch.as_tensor(row, dtype=torch.long)
            attention_mask[i, : len(row)] = 1
        return {"input_ids": input_ids, "attention_mask": attention_mask}, targets


class LengthBucketBatchSampler(Sampler):
    """Shuffled batches of texts of similar length.

    Each epoch the indices are shuffled, cut into buckets of
    ``bucket_size`` batches, sorted by length inside each bucket, cut into
    batches, and the batches are shuffled again. Batches stay random while
    padding shrinks to almost nothing.

    The shuffles of epoch ``e`` are drawn from a generator seeded with
    ``(seed, e)``: the batch order of an epoch depends on the seed and the
    epoch number only, so a fit resumed from a checkpoint at epoch ``e``
    draws the batches the uninterrupted fit drew (the global RNG is untouched).

    Parameters
    ----------
    lengths : array-like of int
    batch_size : int
    bucket_size : int, default=50
        Batches per bucket.
    seed : int or None
        Seed of the sampler's shuffles; None draws a fresh one.
    epoch : int, default=0
        Number of the first epoch (iteration) the sampler serves; every
        iteration over the sampler is the next epoch.

    Examples
    --------
    >>> from skemo.utils._text_data import LengthBucketBatchSampler
    >>> batches = list(LengthBucketBatchSampler([5, 1, 5, 1], batch_size=2, seed=0))
    >>> sorted(sorted(b) for b in batches)
    [[0, 2], [1, 3]]
    >>> first = LengthBucketBatchSampler(range(50), batch_size=4, seed=0)
    >>> _ = list(first)  # epoch 0
    >>> list(first) == list(LengthBucketBatchSampler(range(50), 4, seed=0, epoch=1))
    True
    """

    def __init__(self, lengths, batch_size, bucket_size=50, seed=None, epoch=0):
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.bucket_size = bucket_size
        self.seed = int(np.random.SeedSequence().entropy % 2**63) if seed is None else int(seed)
        self.epoch = int(epoch)

    def __len__(self):
        return -(-len(self.lengths) // self.batch_size)

    def __iter__(self):
        rng = np.random.default_rng([self.seed, self.epoch])
        self.epoch += 1
        order = rng.permutation(len(self.lengths))
        span = self.batch_size * self.bucket_size
        batches = []
        for start in range(0, len(order), span):
            bucket = order[start:start + span]
            bucket = bucket[np.argsort(self.lengths[bucket], kind="stable")]
            batches.extend(bucket[i:i + self.batch_size].tolist()
                           for i in range(0, len(bucket), self.batch_size))
        for b in rng.permutation(len(batches)).tolist():
            yield batches[b]
