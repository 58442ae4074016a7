"""One character vocabulary for every character-level node.

A vocabulary maps tokens to indices: 0 is padding (masked by an ``Embedding`` with
``mask_zero=True``), 1 marks the start of a text, 2 its end, and 3, 4, ... are the
characters seen when the vocabulary was fitted, most frequent first (ties in
character order).  On a port it travels as a table with the columns ``index``,
``token`` and ``count``, one row per index including the three markers, so that a
second node (validation data, a generator, a decoder) reuses exactly the same indices.

Sampling lives here too: the Text Generator node and anything that replays its
generation network (a reloaded SavedModel) call :func:`sample` with their own step
function and get the same strings for the same seed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from nodeflow.core.errors import NodeRunError

if TYPE_CHECKING:
    import numpy as np

PAD, START, END = 0, 1, 2
MARKERS = ("", "[START]", "[END]")  # the tokens of indices 0, 1 and 2
FIRST_CHAR = len(MARKERS)
VOCABULARY_COLUMNS = ("index", "token", "count")


def fit(texts) -> tuple[list[str], list[int]]:
    """The characters of ``texts``, most frequent first (ties in character order), and counts."""
    from collections import Counter

    counts = Counter(ch for text in texts for ch in text)
    chars = sorted(counts, key=lambda ch: (-counts[ch], ch))
    return chars, [counts[ch] for ch in chars]


def table(chars, counts):
    """The vocabulary as a port table: index, token, count; markers first."""
    import numpy as np

    from nodeflow.runtime.table import Table

    size = FIRST_CHAR + len(chars)
    return Table({
        "index": np.arange(size, dtype=np.int32),
        "token": np.array([*MARKERS, *chars], dtype=str),
        "count": np.array([0] * FIRST_CHAR + list(counts), dtype=np.int64),
    })


def from_table(vocabulary, port: str = "vocabulary") -> list[str]:
    """The tokens of a vocabulary table, by index (``tokens[i]`` is index ``i``'s token)."""
    import numpy as np

    missing = [c for c in ("index", "token") if c not in vocabulary]
    if missing:
        raise NodeRunError(f"{port}: expected a character vocabulary with columns index and token "
                           f"(as Text to Training Sequences writes it), got columns "
                           f"{', '.join(vocabulary.column_names) or 'none'}")
    index = np.asarray(vocabulary["index"]).astype(np.int64)
    tokens = np.asarray(vocabulary["token"]).astype(str)
    order = np.argsort(index)
    if not np.array_equal(index[order], np.arange(len(index))) or len(index) <= FIRST_CHAR \
            or tuple(tokens[order][:FIRST_CHAR]) != MARKERS:
        raise NodeRunError(f"{port}: expected indices 0, 1, 2, ... without gaps, 0-2 being the padding, "
                           f"start and end markers, and at least one character")
    chars = tokens[order].tolist()
    if any(len(ch) != 1 for ch in chars[FIRST_CHAR:]):
        raise NodeRunError(f"{port}: expected one character per token after the markers")
    return chars


def lookup(tokens: list[str]) -> dict[str, int]:
    """Character -> index (markers excluded)."""
    return {ch: i for i, ch in enumerate(tokens) if i >= FIRST_CHAR}


def encode(texts, tokens: list[str], param: str) -> list[list[int]]:
    """Per text, its character indices (no markers); an unknown character is an error naming
    ``param`` and the characters, since silently dropping them would change the text."""
    index = lookup(tokens)
    unknown = sorted({ch for text in texts for ch in text if ch not in index})
    if unknown:
        shown = ", ".join(repr(ch) for ch in unknown[:10]) + (" ..." if len(unknown) > 10 else "")
        raise NodeRunError(f"{param}: expected only characters of the vocabulary, got {shown}; fit the "
                           f"vocabulary on data that holds them")
    return [[index[ch] for ch in text] for text in texts]


def decode(indices, tokens: list[str]) -> str:
    """The characters of ``indices`` up to the first end marker; padding and start markers skipped."""
    out = []
    for i in indices:
        i = int(i)
        if i == END:
            break
        if i >= FIRST_CHAR:
            out.append(tokens[i])
    return "".join(out)


def pad(sequences, length: int, side: str = "post") -> "np.ndarray":
    """(rows, length) int32 with the sequences padded by 0 on ``side`` (``pre`` or ``post``)."""
    import numpy as np

    out = np.zeros((len(sequences), length), dtype=np.int32)
    for row, seq in enumerate(sequences):
        seq = list(seq)[:length]
        if seq:
            if side == "pre":
                out[row, length - len(seq):] = seq
            else:
                out[row, :len(seq)] = seq
    return out


def windows(sequences, length: int) -> tuple["np.ndarray", "np.ndarray", "np.ndarray"]:
    """Sliding windows for next-character prediction.

    Each sequence becomes ``[START] chars [END]``; for every position after the start the
    window holds the up to ``length`` tokens before it, padded with 0 on the left, and the
    target is the token at that position.  Returns (windows (n, length) int32, targets (n,)
    int32, the sequence each window came from (n,) int64).
    """
    import numpy as np

    rows, targets, owners = [], [], []
    for owner, seq in enumerate(sequences):
        full = [START, *seq, END]
        for t in range(1, len(full)):
            rows.append(full[max(0, t - length):t])
            targets.append(full[t])
            owners.append(owner)
    return (pad(rows, length, "pre"), np.array(targets, dtype=np.int32),
            np.array(owners, dtype=np.int64))


# -- sampling --------------------------------------------------------------------------------
StepFn = Callable[["np.ndarray", list], tuple["np.ndarray", list]]


def sample(step: StepFn, states: list, prime: list[int], tokens: list[str], count: int, max_length: int,
           temperature: float, seed: int | None, stop: str = "", probabilities: bool = True) -> list[str]:
    """``count`` texts sampled one character at a time.

    ``step(tokens (count, 1) int32, states) -> (outputs (count, vocabulary), states)`` runs the
    generation network one step; ``states`` are its initial states (zeros).  The network is
    first fed ``prime`` (start marker and seed text) and then its own samples, until each
    text drew the end marker (or ``stop``) or has ``max_length`` new characters.  Outputs are
    probabilities (or logits when ``probabilities`` is false); they are rescaled by the
    ``temperature`` and drawn with NumPy's generator seeded by ``seed``: one uniform number
    per text and step, compared with the cumulative probabilities, so anything that computes
    the same probabilities draws the same texts.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    feed = np.zeros((count, 1), dtype=np.int32)
    out = None
    for token in prime:
        feed[:] = token
        out, states = step(feed, states)
    stop_index = lookup(tokens).get(stop, END) if stop else END
    texts = [[] for _ in range(count)]
    alive = np.ones(count, dtype=bool)
    for t in range(max_length):
        scores = np.asarray(out, dtype=np.float64).reshape(count, -1)
        logs = np.log(np.maximum(scores, 1e-30)) if probabilities else scores
        logs = logs / temperature
        logs[:, :END] = -np.inf  # never padding or a second start marker
        logs -= logs.max(axis=1, keepdims=True)
        p = np.exp(logs)
        cumulative = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
        drawn = np.minimum((cumulative < rng.random((count, 1))).sum(axis=1), len(tokens) - 1)
        for row in np.flatnonzero(alive):
            if drawn[row] in (END, stop_index):
                alive[row] = False
            else:
                texts[row].append(tokens[drawn[row]])
        if not alive.any() or t == max_length - 1:
            break
        feed[:, 0] = np.where(alive, drawn, END)
        out, states = step(feed, states)
    return ["".join(t) for t in texts]
