"""委员履职: members and groups at work, and the 对口联系 pairing."""
from dashboard.components.members_page import render

render()
