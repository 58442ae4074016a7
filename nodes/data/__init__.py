"""Data nodes: readers and table manipulation, producing ``table`` ports."""
