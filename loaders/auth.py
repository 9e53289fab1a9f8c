"""Who is signed in and what they may change. (Users, passwords and sessions are added by the staff issue.)"""
from __future__ import annotations

from dataclasses import dataclass

ROLES = {"viewer": "查看", "editor": "编辑", "admin": "管理员"}


@dataclass(frozen=True)
class User:
    name: str
    role: str = "viewer"  # viewer | editor | admin
    units: tuple[str, ...] = ()  # unit codes an editor may change

    def may_edit(self, unit_code: str | None) -> bool:
        if self.role == "admin":
            return True
        return self.role == "editor" and unit_code is not None and unit_code in self.units
