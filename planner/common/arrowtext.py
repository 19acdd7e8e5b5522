"""Arrow columns of strings as pandas text, shared by the CSV and the Parquet readers."""

from __future__ import annotations

import pandas as pd

# A column whose first rows repeat values this often is turned into Python text through its
# distinct values (one object per value, not per cell).
_SAMPLE_ROWS = 4096


def arrow_text(column, *, lazy: bool = False) -> pd.Series:
    """Turn an Arrow string column into a pandas column of text.

    Parameters
    ----------
    column : pyarrow.Array or pyarrow.ChunkedArray
        Strings, no nulls.
    lazy : bool
        Keep the text in Arrow memory (a pandas ``str`` column; object with pandas < 3).

    Returns
    -------
    pandas.Series
        An object column of ``str``, unless ``lazy``. A column that repeats few values
        (districts, grades, statuses) is built from its distinct values, so equal cells share
        one ``str`` object: the same text, made many times faster and held in less memory.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if lazy:
        return column.to_pandas()
    head = column.slice(0, _SAMPLE_ROWS)
    if len(column) > _SAMPLE_ROWS and pc.count_distinct(head).as_py() * 4 < len(head):
        coded = column.dictionary_encode()
        values = coded.dictionary.to_numpy(zero_copy_only=False)
        return pd.Series(values[coded.indices.to_numpy()], dtype=object, copy=False)
    return pd.Series(column.to_numpy(zero_copy_only=False), dtype=object, copy=False)
