"""Counts in the pages' tables and charts, written as loaders.readable.count writes them in text: 44,861."""
from __future__ import annotations

import pandas as pd
import streamlit as st
from pandas.api.types import is_integer_dtype

#: Vega's number format for counts on chart axes and in tooltips.
AXIS_FORMAT = ",d"


def count_columns(frame: pd.DataFrame) -> dict:
    """`column_config` for st.dataframe: every integer column shown with thousands separated (the grid's default
    writes 44861). Codes and ids are text columns and stay as they are."""
    return {name: st.column_config.NumberColumn(format="localized") for name in frame.columns
            if is_integer_dtype(frame[name])}


def table(frame: pd.DataFrame, **options) -> None:
    """st.dataframe with its counts separated (`count_columns`); `column_config` given here wins for its columns."""
    st.dataframe(frame, column_config={**count_columns(frame), **options.pop("column_config", {})}, **options)
