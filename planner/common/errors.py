"""The planner's exceptions: one small family, turned into clean messages by ``cli.py``.

Every error a user can cause derives from :class:`PlannerError`. Input problems are
collected as :class:`Problem` records (file, row, column, value, rule) so that a file's
problems are all reported at once rather than one per run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file or scenario.

    Parameters
    ----------
    file : str
        The file the problem is in (as the user named it).
    message : str
        What is wrong and, where it helps, how to fix it.
    row : int or None
        Spreadsheet-style row number: the header is row 1, the first record row 2.
    column : str or None
        The column (or scenario key) concerned.
    value : str or None
        The offending value, as read.
    severity : str
        ``"error"`` stops the run; ``"warning"`` is reported and the run goes on.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        text = f"{where}: {self.message}"
        if self.value is not None and self.value != "":
            text += f" (value {self.value!r})"
        return text

    def to_dict(self) -> dict:
        """Return the problem as a JSON-ready dict."""
        return asdict(self)


class PlannerError(Exception):
    """Base of every error the planner raises on purpose."""

    exit_code = 1


class InputError(PlannerError):
    """An input file cannot be used; carries every problem found in it."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | str, file: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(file=file or "<input>", message=problems)]
        self.problems = list(problems)
        super().__init__(self._summary())

    def _summary(self) -> str:
        errors = [p for p in self.problems if p.severity == "error"]
        lines = [str(p) for p in errors]
        return "\n".join(lines) if lines else "input error"


class ScenarioError(PlannerError):
    """The scenario file is wrong: broken TOML, unknown key, bad value or missing file."""

    exit_code = 2

    def __init__(self, message: str, key: str | None = None, file: str | None = None):
        self.key = key
        self.file = file
        prefix = ""
        if file:
            prefix += f"{file}: "
        if key:
            prefix += f"[{key}] " if "." not in key else f"{key}: "
        super().__init__(prefix + message)


class InfeasiblePlanError(PlannerError):
    """No plan satisfies the rules; ``reasons`` explains why in data terms."""

    exit_code = 3

    def __init__(self, message: str, reasons: list[str] | None = None):
        self.reasons = list(reasons or [])
        text = message
        if self.reasons:
            text += "\n" + "\n".join(f"  - {r}" for r in self.reasons)
        super().__init__(text)


class VerificationError(PlannerError):
    """A published draw or plan does not match what the inputs give."""

    exit_code = 4

    def __init__(self, message: str, differences: list[str] | None = None):
        self.differences = list(differences or [])
        text = message
        if self.differences:
            text += "\n" + "\n".join(f"  - {d}" for d in self.differences)
        super().__init__(text)
