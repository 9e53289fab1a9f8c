"""用户管理 for admins: users, the basis of the town areas, backups."""
from dashboard.components.admin_page import render

render()
