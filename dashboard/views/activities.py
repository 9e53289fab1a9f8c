"""协商活动: the consultation activities, who took part and the issues they raised."""
from dashboard.components.activities_page import render

render()
