"""Character-level text nodes: training sequences, text generation, sequence-to-sequence decoding."""
