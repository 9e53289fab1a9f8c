"""办理时限 (admins): the time limit of every open status, as one table to edit; saved for every page and the 大屏."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from loaders import deadlines, model
from loaders.store import StoreError

from .. import data
from . import session
from .editform import messages, save_refusal

_EDITOR = "adm_deadlines"
_STARTED = "_xz_deadlines_started"
_FLASH = "_xz_deadlines_flash"
COLUMN = "时限（天）"


def table(limits: deadlines.Limits) -> pd.DataFrame:
    rows = [{"类型": model.kind_label(kind), "状态": status, "阶段": model.stage_of(kind, status),
             COLUMN: limits.days(kind, status) or 0} for kind, status in deadlines.open_statuses()]
    return pd.DataFrame(rows)


def limits_from(edited: pd.DataFrame) -> deadlines.Limits:
    """The limits a table gives (raises model.ValidationError naming the row at fault)."""
    return deadlines.make({key: value for key, value in zip(deadlines.open_statuses(), edited[COLUMN].tolist())})


def section() -> None:
    st.markdown("**办理时限**")
    st.caption("点位在某个未完成状态停留超过时限即为「逾期」，在各地图、进展页、大屏和简报中标出。"
               "自进入该状态之日起计；0 表示不设时限。默认值的依据见 README。")
    messages(st.session_state.pop(_FLASH, None))
    current = data.limits()
    ss = st.session_state
    if ss.get(_STARTED) is None:
        ss[_STARTED] = current
    edited = st.data_editor(
        table(ss[_STARTED]), hide_index=True, key=_EDITOR, width="content", disabled=["类型", "状态", "阶段"],
        column_config={COLUMN: st.column_config.NumberColumn(COLUMN, min_value=0, max_value=deadlines.MAX_DAYS,
                                                             step=1, format="%d")})
    save, reset = st.columns([1, 1])
    if save.button("保存办理时限", type="primary", key="adm_deadlines_save"):
        _save(lambda: limits_from(edited))
    if reset.button("恢复默认时限", key="adm_deadlines_reset"):
        _save(lambda: deadlines.DEFAULT_LIMITS)


def _save(make_limits) -> None:
    ss = st.session_state
    try:
        limits = make_limits()
        session.editor().set_deadlines(limits, expected=ss[_STARTED])
    except (model.ValidationError, StoreError) as error:
        ss[_FLASH] = save_refusal(error)
    else:
        ss[_FLASH] = ("ok", ["办理时限已保存：" + limits.describe()])
        ss.pop(_EDITOR, None)
    ss[_STARTED] = None
    st.rerun()
