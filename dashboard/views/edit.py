"""数据维护: staff edit, add, move, delete and restore points, log follow-ups and read each point's history."""
from dashboard.components.edit_page import render

render()
