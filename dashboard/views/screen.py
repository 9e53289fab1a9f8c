"""大屏: the dark full-screen meeting view (hidden from the menu; open /screen, presets in the URL)."""
from dashboard.components.screen_page import render

render()
