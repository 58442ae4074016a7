"""Sequence-to-sequence data: generated translation pairs and teacher-forcing sequences."""

from __future__ import annotations

from nodeflow.core.errors import NodeRunError
from nodeflow.core.params import ChoiceParam, ColumnsParam, IntParam, TextParam
from nodeflow.core.ports import Port
from nodeflow.core.spec import NodeSpec
from nodes.data._common import TABLE_IN, check_cancelled, log, seed_of, with_columns

from . import chars
from .sequences import VOCABULARY_IN, VOCABULARY_OUT, texts_of, vocabulary_for

# -- Translation Pairs ---------------------------------------------------------------------
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")
ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
FIRST_DAY, DAYS = "1900-01-01", 73_049  # dates 1900-01-01 .. 2099-12-31


def ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def date_in_words(year: int, month: int, day: int, style: int) -> str:
    """One of three ways people write a date: 3 march 1994, march 3, 1994, 3rd of march 1994."""
    name = MONTHS[month - 1]
    return (f"{day} {name} {year}", f"{name} {day}, {year}", f"{ordinal(day)} of {name} {year}")[style]


def number_in_words(n: int) -> str:
    """0 <= n <= 9999 in English words: 7042 -> seven thousand forty-two."""
    words = []
    if n >= 1000:
        words += [ONES[n // 1000], "thousand"]
    if n % 1000 >= 100:
        words += [ONES[n % 1000 // 100], "hundred"]
    rest = n % 100
    if rest >= 20:
        words.append(TENS[rest // 10] + (f"-{ONES[rest % 10]}" if rest % 10 else ""))
    elif rest or not words:
        words.append(ONES[rest])
    return " ".join(words)


def date_pairs(rng, count: int) -> tuple[list[str], list[str]]:
    import numpy as np

    days = np.datetime64(FIRST_DAY) + np.sort(rng.choice(DAYS, size=count, replace=False))
    styles = rng.integers(0, 3, size=count)
    sources, targets = [], []
    for date, style in zip(days.astype(object), styles):
        sources.append(date_in_words(date.year, date.month, date.day, int(style)))
        targets.append(date.isoformat())
    return sources, targets


def number_pairs(rng, count: int) -> tuple[list[str], list[str]]:
    numbers = sorted(int(n) for n in rng.choice(10_000, size=count, replace=False))
    return [number_in_words(n) for n in numbers], [str(n) for n in numbers]


TASKS = {  # task -> (distinct pairs, generator)
    "dates": (DAYS, date_pairs),
    "number_words": (10_000, number_pairs),
}


def translation_pairs(context, inputs, params):
    import numpy as np

    from nodeflow.runtime.table import Table

    task, count = params["task"], params["count"]
    available, make = TASKS[task]
    if count > available:
        raise NodeRunError(f"count: expected at most {available:,} for {task} (each pair is distinct), "
                           f"got {count:,}")
    rng = np.random.default_rng(seed_of(context, params["seed"]))
    sources, targets = make(rng, count)
    order = rng.permutation(count)  # rows in random order, so a split from the top is random too
    log(context, f"{count:,} {task} pairs, e.g. {sources[order[0]]!r} -> {targets[order[0]]!r}")
    return {"table": Table({"source": np.array(sources, dtype=str)[order],
                            "target": np.array(targets, dtype=str)[order]})}


TRANSLATION_PAIRS = NodeSpec(
    type_id="data.TranslationPairs",
    display_name="Translation Pairs",
    category="Data/Read",
    family="data",
    description=(
        "Generates a small translation task for sequence-to-sequence models, every pair distinct: "
        "dates written in words to ISO dates ('3rd of march 1994', 'march 3, 1994' or '3 march "
        "1994' -> '1994-03-03', years 1900-2099), or numbers in English words to digits ('seven "
        "thousand forty-two' -> '7042', 0-9999). The table has the columns source and target, "
        "rows in random order."
    ),
    outputs=(Port("table", "table", "One row per pair: source and target text."),),
    params=(
        ChoiceParam(name="task", default="dates", options=tuple(TASKS),
                    help="dates: dates in words -> ISO dates; number_words: numbers in words -> digits."),
        IntParam(name="count", default=5000, min=1, max=DAYS, help="How many distinct pairs."),
        IntParam(name="seed", default=None, optional=True, min=0, max=2**31 - 1,
                 help="Seed of the choice of pairs; empty uses the run's seed."),
    ),
    keywords=("seq2seq", "translation", "pairs", "dates", "numbers", "words", "generate", "encoder",
              "decoder", "synthetic"),
    run=translation_pairs,
)


# -- Text Pairs to Sequences ---------------------------------------------------------------
def longest(texts) -> int:
    return max((len(t) for t in texts), default=0)


def source_sequences(texts, tokens, length: int, param: str = "source_column"):
    """Source texts as (rows, length) int32 indices padded with 0 after the text; a text longer
    than ``length`` is an error, as cutting it would change what is to be translated."""
    if longest(texts) > length:
        raise NodeRunError(f"source_length: expected at least {longest(texts)} (the longest source text), "
                           f"got {length}")
    return chars.pad(chars.encode(texts, tokens, param), length)


def text_pairs_to_sequences(context, inputs, params):
    from nodes.data._common import input_table

    table = input_table(inputs)
    sources = texts_of(table, params, "source_column")
    targets = texts_of(table, params, "target_column")
    names = (params["encoder_column"], params["decoder_column"], params["target_sequence_column"])
    taken = [n for n in names if n in table]
    if len(set(names)) < 3 or taken:
        raise NodeRunError(f"encoder_column / decoder_column / target_sequence_column: expected three new "
                           f"column names, got {', '.join(names)}")
    tokens, vocabulary = vocabulary_for(inputs, sources + targets, context)
    check_cancelled(context)
    length = params["target_length"]
    if longest(targets) + 1 > length:
        raise NodeRunError(f"target_length: expected at least {longest(targets) + 1} (the longest target "
                           f"text plus the end marker), got {length}")
    encoded = chars.encode(targets, tokens, "target_column")
    new = {
        names[0]: source_sequences(sources, tokens, params["source_length"]),
        names[1]: chars.pad([[chars.START, *t] for t in encoded], length),
        names[2]: chars.pad([[*t, chars.END] for t in encoded], length),
    }
    log(context, f"{len(sources):,} pairs: sources up to {longest(sources)} characters, targets up to "
                 f"{longest(targets)}")
    return {"table": with_columns(table, new), "vocabulary": vocabulary}


TEXT_PAIRS_TO_SEQUENCES = NodeSpec(
    type_id="data.TextPairsToSequences",
    display_name="Text Pairs to Sequences",
    category="Data/Transform",
    family="data",
    description=(
        "Turns source and target texts into the three character sequences an encoder-decoder "
        "trains on with teacher forcing: the encoder's input (the source's characters), the "
        "decoder's input ([START] and the target) and the decoder's target (the target and [END]), "
        "each padded with 0 after the text (use Embeddings with mask_zero). One character "
        "vocabulary serves both sides: fitted on this table unless one is connected."
    ),
    inputs=(TABLE_IN, VOCABULARY_IN),
    outputs=(Port("table", "table", "The table with the three int32 sequence columns added."),
             VOCABULARY_OUT),
    params=(
        ColumnsParam(name="source_column", min_count=1, max_count=1, help="The text to translate."),
        ColumnsParam(name="target_column", min_count=1, max_count=1, help="Its translation."),
        IntParam(name="source_length", default=30, min=1, max=10_000,
                 help="Length of the encoder's input: at least the longest source text."),
        IntParam(name="target_length", default=12, min=2, max=10_000,
                 help="Length of the decoder's sequences: at least the longest target text plus one."),
        TextParam(name="encoder_column", default="encoder_input", allow_empty=False,
                  help="Name of the new encoder input column."),
        TextParam(name="decoder_column", default="decoder_input", allow_empty=False,
                  help="Name of the new decoder input column."),
        TextParam(name="target_sequence_column", default="decoder_target", allow_empty=False,
                  help="Name of the new decoder target column."),
    ),
    keywords=("seq2seq", "sequence", "encoder", "decoder", "teacher forcing", "translation",
              "character", "pairs"),
    run=text_pairs_to_sequences,
)

NODES = (TRANSLATION_PAIRS, TEXT_PAIRS_TO_SEQUENCES)
