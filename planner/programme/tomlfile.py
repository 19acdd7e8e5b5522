"""Write a scenario as TOML: the few value types scenario tables hold."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from planner.draw.record import relative


def value_text(value: Any, base: Path) -> str:
    """Return one TOML value; paths are written relative to ``base``.

    Parameters
    ----------
    value : object
        A str, bool, int, float, date, path, list or dict.
    base : pathlib.Path
        The folder the scenario file lives in.

    Returns
    -------
    str
        The TOML text of the value (inline tables for dicts).
    """
    if isinstance(value, Path):
        return json.dumps(relative(value, base), ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(value_text(v, base) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(str(k), ensure_ascii=False)} = {value_text(v, base)}"
                          for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"no TOML form for {value!r}")  # a programming error


def document(tables: dict[str, dict[str, Any]], base: Path, header: str = "") -> str:
    """Return a TOML document of ``[table]`` sections, leaving out None values.

    Parameters
    ----------
    tables : dict
        Table name -> {key: value}.
    base : pathlib.Path
        The folder the file will live in (for relative paths).
    header : str
        Comment lines to put first (without the ``#``).

    Returns
    -------
    str
        The document.
    """
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    for name, keys in tables.items():
        lines += ["", f"[{name}]"]
        lines += [f"{k} = {value_text(v, base)}" for k, v in keys.items() if v is not None]
    return "\n".join(lines).lstrip("\n") + "\n"
