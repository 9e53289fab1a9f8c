"""Counts as Chinese readers read them (loaders.readable.count): thousands separated everywhere, 万 on the 大屏."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loaders.readable import count


@pytest.mark.parametrize("n, text", [(0, "0"), (999, "999"), (1000, "1,000"), (44861, "44,861"),
                                     (100000, "100,000"), (1234567, "1,234,567"), (-12345, "-12,345"),
                                     (np.int64(20621), "20,621"), (3.0, "3")])
def test_counts_have_their_thousands_separated(n, text):
    assert count(n) == text


@pytest.mark.parametrize("n, text", [(9999, "9,999"), (10000, "1万"), (44861, "4.5万"), (100000, "10万"),
                                     (1234567, "123.5万"), (12345678, "1,234.6万")])
def test_the_big_screen_writes_ten_thousands_as_wan_and_keeps_smaller_counts_exact(n, text):
    assert count(n, wan=True) == text


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, np.nan, True])
def test_nothing_to_count_is_a_dash_not_a_number(missing):
    assert count(missing) == "—" and count(missing, wan=True) == "—"
