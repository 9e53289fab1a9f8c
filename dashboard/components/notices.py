"""Page-wide notices that replace what would otherwise be a traceback."""
from __future__ import annotations

import streamlit as st

from .safe import md_text


def store_unavailable(problem: Exception) -> None:
    """The store cannot be used right now: what is wrong and what the administrator should do (from loaders)."""
    st.markdown("### 襄州一线协商地图")
    st.error(md_text(f"暂时无法读取数据：{problem}"), icon=":material/database:")
    st.caption("这不是您的操作造成的。管理员处理后刷新页面即可恢复；正在填写的内容不会被保存。")
