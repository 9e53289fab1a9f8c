"""The 演示数据 banner, shown while any sample record is on screen."""
from __future__ import annotations

import streamlit as st

from loaders.readable import count

from ..data import View


def sample_banner(view: View) -> None:
    if view.sample_count:
        st.info(f"**演示数据**：当前显示的 {count(view.total)} 个点位中有 {count(view.sample_count)} 个为演示数据，"
                "依据公开报道编制，位置为示意，不代表实际情况。", icon=":material/science:")
