"""备份: a consistent snapshot of the store for download (restore stays on the command line)."""
from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import streamlit as st

from loaders import backup, config


def snapshot_name(now: dt.datetime | None = None) -> str:
    return backup.default_backup_path(config.store_location(), now).name


def snapshot_bytes() -> bytes:
    """loaders.backup.backup into a temporary folder, read back; the folder is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="xzmap-backup-") as folder:
        path = backup.backup(config.store_location(), Path(folder) / "snapshot.gpkg")
        return path.read_bytes()


def backup_step() -> None:
    st.caption("生成当前数据的一致快照（GeoPackage 文件，QGIS 可直接打开），可在有人编辑时进行。"
               "快照包含全部点位、跟踪记录、修改记录和用户账号（密码只以哈希保存），请妥善保管。")
    st.download_button("生成并下载备份", data=snapshot_bytes, file_name=snapshot_name(),
                       mime="application/geopackage+sqlite3", on_click="ignore", type="primary",
                       icon=":material/backup:", key="adm_backup")
    st.info("恢复备份只能在服务器上用命令行进行（会先自动备份当前数据，并让所有人重新登录）：\n\n"
            "`.venv/bin/python -m loaders restore 备份文件.gpkg`", icon=":material/terminal:")
