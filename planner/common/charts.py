"""Every chart's frame: the fonts, the figure and the PNG file.

Each chart of planner (the simulation, the loop, the transition matrix, the programme's
status) is drawn on :func:`figure` and written by :func:`write_png`: matplotlib's Agg
backend at a fixed size and resolution, without the software stamp, so the same table
gives the same bytes on every machine.

With ``language = "zh"`` the text is set in Noto Sans CJK SC, a font file the ``mplfonts``
package installs with planner (never one looked up on the system). In English the text is
set in matplotlib's own DejaVu Sans.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from planner.common.io import atomic_path

DPI = 100
# The CJK font shipped by the mplfonts package (SIL Open Font License), by file name.
CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"
CJK_FAMILY = "planner Noto Sans CJK SC"


def cjk_font_path() -> Path:
    """Return the CJK font file the ``mplfonts`` dependency installs.

    Returns
    -------
    pathlib.Path
        The Noto Sans CJK SC font file.

    Raises
    ------
    FileNotFoundError
        When the package or its font is missing (reinstall planner).
    """
    spec = importlib.util.find_spec("mplfonts")  # located, not imported
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / "fonts" / CJK_FONT_FILE
        if path.is_file():
            return path
    raise FileNotFoundError(f"the Chinese chart font {CJK_FONT_FILE} of the mplfonts package is "
                            "missing: reinstall planner (pip install -e . in its checkout), which "
                            "installs it")


def font_context(language: str) -> dict:
    """Return matplotlib settings for a chart's text in ``language``.

    Parameters
    ----------
    language : str
        ``"zh"``: the bundled Noto Sans CJK SC (:func:`cjk_font_path`), registered under a
        family name of its own; anything else: matplotlib's DejaVu Sans.

    Returns
    -------
    dict
        rc settings: ``font.family``, ``font.size`` 9 and, in Chinese, an ASCII minus sign.
    """
    if language != "zh":
        return {"font.family": "DejaVu Sans", "font.size": 9}
    # Registered under a name of its own: a system font of the same family name (Noto Sans
    # CJK SC is common on Linux) must never be picked instead, or the PNG would depend on
    # the machine.
    manager = font_manager.fontManager
    if not any(entry.name == CJK_FAMILY for entry in manager.ttflist):
        manager.ttflist.append(font_manager.FontEntry(
            fname=str(cjk_font_path()), name=CJK_FAMILY, style="normal", variant="normal",
            weight=400, stretch="normal", size="scalable"))
    return {"font.family": CJK_FAMILY, "font.size": 9, "axes.unicode_minus": False}


@contextmanager
def figure(language: str, size: tuple[float, float], *,
           settings: Mapping[str, object] | None = None) -> Iterator[Figure]:
    """Yield an Agg figure of ``size`` inches, drawn inside the fonts of ``language``.

    Parameters
    ----------
    language : str
        ``"zh"`` or ``"en"`` (see :func:`font_context`).
    size : tuple of float
        Width and height in inches (at :data:`DPI`).
    settings : mapping, optional
        matplotlib rc settings over those of :func:`font_context`.

    Yields
    ------
    matplotlib.figure.Figure
        The figure; draw on it and write it with :func:`write_png` inside the block.
    """
    with matplotlib.rc_context({**font_context(language), **(settings or {})}):
        fig = Figure(figsize=size, dpi=DPI)
        FigureCanvasAgg(fig)
        yield fig


def write_png(fig: Figure, target: str | Path) -> None:
    """Write ``fig`` as a PNG at :data:`DPI`, without the software stamp, whole or not at all.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure from :func:`figure`.
    target : str or pathlib.Path
        The ``.png`` file.
    """
    with atomic_path(target) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None})
