"""xl-report.toml: found via --config, else in the current folder. Read-only (tomllib).

Each area reads its own table: [smtp] and [upward] (mail), [freeze] (password_env), [calendar]
(extra_holidays / extra_workdays for years chinesecalendar does not know yet), [deadlines], [server].
Secrets never live in this file: a literal password is refused.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from xl_report.core.errors import InputError

CONFIG_NAME = "xl-report.toml"


def find_config(explicit: Path | str | None = None) -> Path | None:
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise InputError.at("找不到配置文件", file=str(path))
        return path
    here = Path.cwd() / CONFIG_NAME
    return here if here.is_file() else None


def read_toml(path: Path, what: str = "配置文件") -> dict:
    """A TOML file as clerks save it: Notepad may add a byte-order mark; another encoding or a syntax
    error is a Chinese message naming ``what``."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError.at(f"{what}不是 UTF-8 编码，请用记事本“另存为”并选择 UTF-8 编码", file=str(path)) from None
    except tomllib.TOMLDecodeError as e:
        raise InputError.at(f"{what}格式错误（{e}）", file=str(path)) from None


def load_config(explicit: Path | str | None = None) -> dict:
    """The settings of ``xl-report.toml`` (``explicit``, else the one in the current folder; none: ``{}``)."""
    path = find_config(explicit)
    if path is None:
        return {}
    data = read_toml(path)
    for section in ("smtp", "freeze", "server"):
        table = data.get(section) or {}
        if not isinstance(table, dict):  # "freeze = 5": every reader below would fail on it
            raise InputError.at(f"配置文件中的 {section} 应为一节 [{section}]", file=str(path))
        for key in ("password", "token"):
            if key in table:
                raise InputError.at(
                    f"配置文件的 [{section}] 中不能直接写 {key}，请改为在环境变量中设置，"
                    f"并在配置中用 {key}_env 写出环境变量的名字",
                    file=str(path),
                )
            env = table.get(f"{key}_env")
            if env is not None and not (isinstance(env, str) and env.strip()):
                raise InputError.at(f"配置文件的 [{section}] {key}_env 应为环境变量的名字（值：{env}）", file=str(path))
    data["_path"] = str(path)
    return data


def secret_from_env(env_name: str | None) -> str | None:
    """A secret from the environment (never logged)."""
    if not env_name:
        return None
    value = os.environ.get(env_name)
    return value or None
