"""Export format module (being written)."""

FORMATS: tuple[()] = ()
