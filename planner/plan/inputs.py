"""Load and validate a scenario's five inputs, reporting every problem at once.

:func:`load_inputs` reads the directory (检查对象名录库), the roster (执法检查人员名录库),
the avoidance list (回避), the history and the item list (随机抽查事项清单); checks each file
and the references between them; and returns typed DataFrames in an :class:`Inputs`.

Errors stop the run; warnings are reported and the run goes on:

- error: missing required column; empty or unreadable file; duplicate enterprise or
  inspector id; bad credit code; grade unknown to the scheme; bad date, yes/no or count;
  an avoidance row naming an unknown inspector or enterprise (a typo there would silently
  fail to protect anyone); an inspector without a station when cross-station avoidance is on.
- warning: a legacy 15-digit registration number (only with ``accept_legacy_ids``); a
  certificate that expires before the plan ends (that inspector is not eligible); a history
  row naming an enterprise or inspector no longer listed (normal after deregistration or
  retirement, so it cannot block a plan).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.common import schema
from planner.common.errors import InputError, Problem, ScenarioError
from planner.common.grading import GradingScheme
from planner.common.io import read_table, sha256_file
from planner.common.keys import IdIndex
from planner.common.parallel import DigestsAhead
from planner.common.parquet import locate
from planner.common.uscc import is_legacy_registration_number, uscc_problems
from planner.plan.rosters import add_department_rosters
from planner.plan.scenario import Scenario, load_scenario
from planner.plan.scores import join_scores


@dataclass
class Inputs:
    """The validated inputs of one scenario.

    Attributes
    ----------
    enterprises : pandas.DataFrame
        ``enterprise_id`` (canonical), ``name``, ``district``, ``station``, ``risk_grade``,
        ``risk_class``, ``risk_rank`` (0 = lowest risk), ``category``, ``address``, ``status``,
        ``active`` (bool), ``row`` (source row), plus the file's extra columns.
    inspectors : pandas.DataFrame
        ``inspector_id``, ``name``, ``department``, ``district``, ``station``,
        ``certificate_no``, ``certificate_expiry`` (datetime64), ``can_lead`` (bool),
        ``capacity`` (int: roster value or the scenario default), ``available`` (bool),
        ``qualifications`` (str, ``;``-separated), ``certified`` (certificate valid through the
        plan end), ``eligible`` (certified and available), ``row``.
    avoidance : pandas.DataFrame
        ``inspector_id``, ``enterprise_id``, ``reason``.
    history : pandas.DataFrame
        ``enterprise_id``, ``inspector_id``, ``date`` (datetime64), ``result``.
    items : pandas.DataFrame
        ``item_code``, ``item_name``, ``department``, ``legal_basis``, ``method``.
    files : dict
        Input name -> resolved path, for the inputs the scenario gives.
    hashes : dict
        Input name -> SHA-256 of the file's bytes.
    warnings : list of Problem
        Problems that did not stop the run.
    scheme : GradingScheme
        The grading scheme used.
    enterprise_index : IdIndex, optional
        The enterprise ids packed for lookups (:meth:`enterprise_rows`); built on first use.
    """

    scenario: Scenario
    scheme: GradingScheme
    enterprises: pd.DataFrame
    inspectors: pd.DataFrame
    avoidance: pd.DataFrame
    history: pd.DataFrame
    items: pd.DataFrame
    files: dict[str, Path] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    enterprise_index: IdIndex | None = field(default=None, repr=False, compare=False)
    # The directory's ticket digests, hashed ahead by another process (load_inputs' seed).
    tickets_ahead: DigestsAhead | None = field(default=None, repr=False, compare=False)

    def enterprise_rows(self, ids: pd.Series) -> np.ndarray:
        """Row in :attr:`enterprises` of each of ``ids``, -1 where absent.

        A directory may hold millions of enterprises; its ids are packed and hashed once
        (:class:`planner.common.keys.IdIndex`), then every lookup reuses them.
        """
        if self.enterprise_index is None:
            self.enterprise_index = IdIndex(self.enterprises["enterprise_id"])
        return self.enterprise_index.positions(ids)


INPUT_NAMES = ("enterprises", "inspectors", "avoidance", "history", "items")
# From a directory file this large on, load_inputs given a seed hashes its tickets ahead.
TICKETS_AHEAD_BYTES = 64 << 20  # a directory of about 300,000 enterprises and up
_SPECS = {
    "enterprises": schema.ENTERPRISE_COLUMNS,
    "inspectors": schema.INSPECTOR_COLUMNS,
    "avoidance": schema.AVOIDANCE_COLUMNS,
    "history": schema.HISTORY_COLUMNS,
    "items": schema.ITEM_COLUMNS,
}


def relative_label(path: Path) -> str:
    """Return how to name an input in messages: relative to the working folder if inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_plan(
    scenario_path: str | Path, *, encoding: str | None = None, progress=None
) -> tuple[Scenario, Inputs]:
    """Load a scenario and validate its inputs.

    Parameters
    ----------
    scenario_path : str or pathlib.Path
        The scenario TOML file.
    encoding : str, optional
        CSV encoding for every input (detected when omitted).
    progress : callable, optional
        Progress reporter (see :mod:`planner.common.progress`).

    Returns
    -------
    tuple
        The scenario and its validated inputs.
    """
    scenario = load_scenario(scenario_path)
    return scenario, load_inputs(scenario, encoding=encoding, progress=progress)


def load_inputs(
    scenario: Scenario,
    *,
    encoding: str | None = None,
    progress=None,
    directory: bool = True,
    seed: str | None = None,
) -> Inputs:
    """Read and validate every input the scenario names.

    Parameters
    ----------
    scenario : Scenario
        The loaded scenario.
    encoding : str, optional
        CSV encoding for every file (overrides ``[inputs] encoding``); detected when omitted.
    progress : callable, optional
        Called with a short text before each file is read (for a terminal's progress line).
    directory : bool
        False to leave the enterprises file out (``enterprises`` is then empty) and not
        check the other inputs' enterprise ids against it: a distributed engine reads and
        checks the directory partition by partition (see :mod:`planner.draw.distributed`).
    seed : str, optional
        The seed the draw will use: for a directory of :data:`TICKETS_AHEAD_BYTES` or more,
        another process hashes the tickets (:class:`~planner.common.parallel.DigestsAhead`)
        while the other inputs are checked; the draw takes them from ``Inputs.tickets_ahead``.

    Returns
    -------
    Inputs
        The typed inputs and the warnings found.

    Raises
    ------
    InputError
        With every error of every file, when there is at least one.
    """
    spec = scenario.inputs
    if spec.enterprises is None or spec.inspectors is None:
        missing = "enterprises" if spec.enterprises is None else "inspectors"
        raise ScenarioError(
            "this command needs the file; add it to [inputs]", key=f"inputs.{missing}",
            file=scenario.label,
        )
    ahead = _tickets_ahead(spec.enterprises, seed) if directory else None
    try:
        return _load(scenario, encoding or spec.encoding, progress, directory, ahead)
    except BaseException:
        if ahead is not None:
            ahead.cancel()
        raise


def _tickets_ahead(path: Path, seed: str | None) -> DigestsAhead | None:
    """Start hashing the directory's tickets ahead when the seed is known and the file large.

    The process starts now, before the file is read (see
    :class:`~planner.common.parallel.DigestsAhead`); its size stands for the row count.
    """
    if not seed or not DigestsAhead.possible():
        return None
    try:
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
    except OSError:
        return None
    return DigestsAhead(seed, "ticket") if size >= TICKETS_AHEAD_BYTES else None


def _load(scenario: Scenario, encoding: str | None, progress, directory: bool,
          ahead: DigestsAhead | None) -> Inputs:
    """Read and check the inputs (:func:`load_inputs`), feeding ``ahead`` the checked ids."""
    spec = scenario.inputs
    scheme = scenario.scheme()
    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame] = {}
    parts: dict[str, list] = {}  # label -> Parquet partitions, for messages
    files: dict[str, Path] = {}
    hashes: dict[str, str] = {}
    unread: set[str] = set()  # inputs whose file or header failed: not checked against
    for name in INPUT_NAMES:
        path = getattr(spec, name)
        if path is None or (name == "enterprises" and not directory):
            frames[name] = _empty(name)
            continue
        files[name] = path
        label = relative_label(path)
        if progress:
            progress(f"reading {name} ({label})")
        # The file's SHA-256 is taken in a thread while the table is read: hashing and
        # reading a file release the interpreter's lock.
        with ThreadPoolExecutor(1) as hasher:
            digest = hasher.submit(sha256_file, path)
            try:
                raw = read_table(path, encoding=encoding, sheet=spec.sheet, label=label,
                                 keep=needed_columns(scenario, name), lazy=_lazy_columns(name))
            except InputError as exc:
                problems.extend(exc.problems)
                frames[name] = _empty(name)
                unread.add(name)
                continue
            hashes[name] = digest.result()
        mapped, found = schema.map_headers(raw, _SPECS[name], label)
        problems.extend(found)
        if any(p.severity == "error" for p in found):
            frames[name] = _empty(name)
            unread.add(name)
            continue
        mapped["row"] = np.arange(2, len(mapped) + 2)
        frames[name] = mapped
        if raw.attrs.get("parts"):
            parts[label] = raw.attrs["parts"]

    if spec.scores is not None and directory:
        problems += _join_scores(frames, scenario, encoding, files, hashes)
    if progress:
        progress("validating")
    labels = {name: relative_label(p) for name, p in files.items()}
    ent, p, ent_index = check_directory(frames["enterprises"], scheme,
                                        labels.get("enterprises", ""),
                                        scenario.inputs.accept_legacy_ids)
    problems += p
    if ahead is not None:
        if any(q.severity == "error" for q in problems):
            ahead.cancel()
        else:
            ahead.feed(ent["enterprise_id"].tolist())
    insp, p = _check_inspectors(frames["inspectors"], scenario, labels["inspectors"])
    problems += p
    if scenario.assignment.department_rosters:
        insp, p = add_department_rosters(
            insp, labels["inspectors"], scenario.assignment.department_rosters,
            encoding=encoding, sheet=spec.sheet,
            check=lambda frame, label: _check_inspectors(frame, scenario, label),
            label_of=relative_label, files=files, hashes=hashes)
        problems += p
    # One root cause, one message: a table that could not be read is not the measure of the
    # files that refer to it (each of their rows would name an id "not in the file").
    known = {"enterprise_id": (ent_index or IdIndex(ent["enterprise_id"]))
             if directory and "enterprises" not in unread else None,
             "inspector_id": IdIndex(insp["inspector_id"]) if "inspectors" not in unread
             else None}
    avoid, p = check_refs(frames["avoidance"], known, labels.get("avoidance"), severity="error")
    problems += p
    hist, p = _check_history(frames["history"], known, labels.get("history"))
    problems += p
    items, p = _check_items(frames["items"], labels.get("items"))
    problems += p
    for label, found in parts.items():
        problems = locate(problems, label, found)

    if any(q.severity == "error" for q in problems):
        raise InputError(problems)  # load_inputs stops the hashing
    return Inputs(
        scenario=scenario,
        scheme=scheme,
        enterprises=ent,
        inspectors=insp,
        avoidance=avoid,
        history=hist,
        items=items,
        files=files,
        hashes=hashes,
        warnings=[q for q in problems if q.severity != "error"],
        enterprise_index=known["enterprise_id"],
        tickets_ahead=ahead,
    )


def _join_scores(frames: dict, scenario: Scenario, encoding, files: dict, hashes: dict
                 ) -> list[Problem]:
    """Join ``[inputs] scores`` onto the directory's frame (see :mod:`planner.plan.scores`)."""
    spec = scenario.inputs
    label = relative_label(spec.scores)
    try:
        raw = read_table(spec.scores, encoding=encoding, sheet=spec.sheet, label=label)
    except InputError as exc:
        return list(exc.problems)
    files["scores"], hashes["scores"] = spec.scores, sha256_file(spec.scores)
    frames["enterprises"], found = join_scores(
        frames["enterprises"], raw, label, relative_label(spec.enterprises),
        grade_by_score=scenario.scheme().score_column == "score")
    return found


def needed_columns(scenario: Scenario, name: str):
    """Return the column filter of an input: the columns the plan reads (for Parquet).

    Parameters
    ----------
    scenario : Scenario
        The plan (its score and weight columns count as needed).
    name : str
        The input, one of :data:`INPUT_NAMES`.

    Returns
    -------
    callable
        Given a header, whether it is one of the input's accepted spellings or a column
        a scenario key names.
    """
    keys = {schema.header_key(s) for col in _SPECS[name] for s in col.spellings}
    if name == "enterprises":
        named = (scenario.scheme().score_column, scenario.sampling.weight_by)
        keys |= {schema.header_key(c) for c in named if c}
    return lambda header: schema.header_key(header) in keys


# Columns read only for the few rows drawn (a directory's names and addresses): a large CSV
# read by the Arrow reader keeps them in Arrow memory (see planner.common.io.read_table).
LAZY_COLUMNS = {"enterprises": ("name", "address")}


def _lazy_columns(name: str):
    keys = {schema.header_key(s) for col in _SPECS[name] if col.name in LAZY_COLUMNS.get(name, ())
            for s in col.spellings}
    return lambda header: schema.header_key(header) in keys


def _empty(name: str) -> pd.DataFrame:
    cols = [c.name for c in _SPECS[name]] + ["row"]
    return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})


def canonical_ids(values: pd.Series) -> pd.Series:
    """Return canonical enterprise ids: stripped, upper case (the draw's ticket uses this form).

    A directory's ids are almost always canonical already (letters and digits, upper case);
    one check over the joined text spares millions of per-cell calls.
    """
    if values.dtype != object or pd.api.types.infer_dtype(values, skipna=False) != "string":
        values = values.astype(str).astype(object)
    joined = "".join(values.to_numpy())  # a Series' own iterator is many times slower
    if joined.isascii():  # bytes.isalnum knows only ASCII, and is many times faster
        raw = joined.encode("ascii")
        if raw.isalnum() and raw == raw.upper():
            return values
    elif joined.isalnum() and joined == joined.upper():
        return values
    return values.str.strip().str.upper()


def check_enterprises(
    frame: pd.DataFrame, scheme: GradingScheme, label: str, accept_legacy: bool
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check a directory (or one partition of it) and classify its enterprises.

    :func:`check_directory` without the index of the ids (see there).
    """
    checked, problems, _ = check_directory(frame, scheme, label, accept_legacy)
    return checked, problems


def check_directory(
    frame: pd.DataFrame, scheme: GradingScheme, label: str, accept_legacy: bool
) -> tuple[pd.DataFrame, list[Problem], IdIndex | None]:
    """Check a directory (or one partition of it) and classify its enterprises.

    The ids are indexed once (:class:`~planner.common.keys.IdIndex`): the index finds the
    repeated ids here, then the other inputs' references and the draw's lookups.

    Parameters
    ----------
    frame : pandas.DataFrame
        Mapped columns (:func:`planner.common.schema.map_headers`) and ``row``.
    scheme : GradingScheme
        Turns grades or scores into classes.
    label : str
        The file's name for messages.
    accept_legacy : bool
        Accept 15-digit registration numbers (with a warning).

    Returns
    -------
    tuple
        The frame with canonical ids, ``risk_class``, ``risk_rank`` and ``active``; the
        problems (rows as in ``row``'s numbering: record position + 2); and the index of
        the ids (None for a directory that was not read).
    """
    problems: list[Problem] = []
    if frame.empty and "row" not in frame:
        return frame, problems, None
    frame = frame.copy(deep=False)  # new columns only; the cells are shared, not copied
    frame["enterprise_id"] = canonical_ids(frame["enterprise_id"])
    problems += schema.require_values(frame, ("enterprise_id", "name", "district"), label)
    ids = frame["enterprise_id"].to_numpy(dtype=object)
    nonempty = ids != ""
    found = uscc_problems(ids[nonempty])
    positions = np.flatnonzero(nonempty)
    for pos, message in zip(positions, found, strict=True):
        if message is None:
            continue
        code = ids[pos]
        if is_legacy_registration_number(code):
            if accept_legacy:
                problems.append(Problem(label, "legacy 15-digit registration number accepted",
                                        row=int(pos) + 2, column="enterprise_id", value=code,
                                        severity="warning"))
                continue
            message = ("is a legacy 15-digit registration number; set "
                       "[inputs] accept_legacy_ids = true to accept it")
        problems.append(Problem(label, f"bad unified social credit code: {message}",
                                row=int(pos) + 2, column="enterprise_id", value=code))
    index = IdIndex(frame["enterprise_id"])
    problems += schema.duplicates(frame, "enterprise_id", label, "enterprise",
                                  repeats=index.repeated())

    scores = None
    if scheme.score_column and scheme.score_column in frame:
        raw_scores = frame[scheme.score_column]
        scores = pd.to_numeric(raw_scores.where(raw_scores != ""), errors="coerce")
        for row in schema.rows_of(frame, scores.isna() & (raw_scores != "")):
            problems.append(Problem(label, "not a number", row=int(row),
                                    column=scheme.score_column, value=raw_scores.iloc[row - 2]))
    classes = scheme.classify(frame["risk_grade"], scores)
    missing_class = classes.isna().to_numpy()
    grade_text = frame["risk_grade"].to_numpy(dtype=object)
    for pos in np.flatnonzero(missing_class):
        grade = grade_text[pos]
        if grade == "":
            source = ("risk_grade" + (f" or {scheme.score_column}" if scheme.score_column else ""))
            if scores is not None and not np.isnan(scores.iloc[pos]):
                continue  # the bad score was reported above, or the score falls outside every band
            problems.append(Problem(label, f"no risk grade: fill {source}", row=int(pos) + 2,
                                    column="risk_grade"))
        else:
            problems.append(Problem(
                label,
                f"grade unknown to scheme {scheme.name!r} (classes: {', '.join(scheme.classes)})",
                row=int(pos) + 2, column="risk_grade", value=grade))
    if scores is not None:
        outside = missing_class & (grade_text == "") & ~np.isnan(scores.to_numpy(dtype=float))
        for pos in np.flatnonzero(outside):
            problems.append(Problem(label, f"score falls in no band of scheme {scheme.name!r}",
                                    row=int(pos) + 2, column=scheme.score_column,
                                    value=frame[scheme.score_column].iloc[pos]))
    frame["risk_class"] = classes.astype(object)
    rank = {c: i for i, c in enumerate(scheme.classes)}
    codes, distinct = pd.factorize(classes, use_na_sentinel=False)  # a few classes, many rows
    rank_of = np.array([rank.get(c, -1) for c in distinct], dtype=np.int64)
    frame["risk_rank"] = rank_of[codes] if len(codes) else np.zeros(0, dtype=np.int64)
    frame["active"] = ~schema.is_inactive(frame["status"]).to_numpy()
    return frame, problems, index


def _check_inspectors(
    frame: pd.DataFrame, scenario: Scenario, label: str
) -> tuple[pd.DataFrame, list[Problem]]:
    problems: list[Problem] = []
    if frame.empty and "row" not in frame:
        return frame, problems
    frame = frame.copy()
    frame["inspector_id"] = frame["inspector_id"].astype(str).str.strip()
    problems += schema.require_values(
        frame, ("inspector_id", "name", "department", "district", "certificate_no"), label
    )
    problems += schema.duplicates(frame, "inspector_id", label, "inspector")
    expiry, p = schema.parse_dates(frame, "certificate_expiry", label)
    problems += p
    frame["certificate_expiry"] = expiry
    frame["can_lead"], p = schema.parse_bools(frame, "can_lead", label, default=False)
    problems += p
    frame["available"], p = schema.parse_bools(frame, "available", label, default=True)
    problems += p
    capacity, p = schema.parse_counts(frame, "capacity", label)
    problems += p
    frame["capacity"] = capacity.fillna(scenario.assignment.capacity).astype(int)
    end = pd.Timestamp(scenario.plan.end)
    frame["certified"] = (frame["certificate_expiry"] >= end).to_numpy()
    for pos in np.flatnonzero(expiry.notna().to_numpy() & ~frame["certified"].to_numpy()):
        problems.append(Problem(
            label,
            f"enforcement certificate (执法证) expires {expiry.iloc[pos].date()}, before the plan "
            f"ends {scenario.plan.end}: this inspector is not eligible",
            row=int(pos) + 2, column="certificate_expiry", severity="warning"))
    frame["eligible"] = frame["certified"] & frame["available"]
    frame["group"] = frame["group"].fillna("").astype(str).str.strip()
    if scenario.assignment.standing_groups:
        problems += _check_groups(frame, scenario, label)
    if scenario.assignment.cross_station:
        for row in schema.rows_of(frame, frame["station"] == ""):
            problems.append(Problem(
                label, "no station: cross-station avoidance ([assignment] cross_station = true) "
                "needs every inspector's station", row=int(row), column="station"))
    return frame, problems


def _check_groups(frame: pd.DataFrame, scenario: Scenario, label: str) -> list[Problem]:
    """Check standing groups (检查小组): each has a lead-capable member and team_size members."""
    if not (frame["group"] != "").any():
        raise ScenarioError(
            f"standing groups need the roster's group (检查小组) column; {label} has no group",
            key="assignment.standing_groups", file=scenario.label)
    problems = []
    team_size = scenario.assignment.team_size
    listed = frame.assign(_pos=np.arange(len(frame)))[frame["group"] != ""]
    for name, rows in listed.groupby("group", sort=True):
        row = int(rows["_pos"].iloc[0]) + 2
        if not rows["can_lead"].astype(bool).any():
            problems.append(Problem(label, f"group {name} has no lead-capable (可任主检) member",
                                    row=row, column="group"))
        if len(rows) < team_size:
            problems.append(Problem(label, f"group {name} has {len(rows)} member(s), fewer "
                                    f"than team_size {team_size}", row=row, column="group"))
    return problems


def check_refs(
    frame: pd.DataFrame,
    known: dict[str, IdIndex | None],
    label: str | None,
    *,
    severity: str,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check an avoidance or history table's ids against the known ones.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with ``enterprise_id`` (and ``inspector_id``).
    known : dict
        Column -> :class:`IdIndex` of the known ids; None leaves that column unchecked.
    label : str or None
        The file's name (None: the input is absent; nothing is checked).
    severity : str
        Of an unknown id.

    Returns
    -------
    tuple
        The frame with canonical ids, and the problems.
    """
    problems: list[Problem] = []
    if label is None:
        return frame, problems
    frame = frame.copy(deep=False)
    frame["enterprise_id"] = canonical_ids(frame["enterprise_id"])
    if "inspector_id" in frame:
        frame["inspector_id"] = frame["inspector_id"].astype(str).str.strip()
    required = [c for c in ("inspector_id", "enterprise_id") if c in frame]
    problems += schema.require_values(frame, tuple(required), label)
    for column, what in (("enterprise_id", "enterprise"), ("inspector_id", "inspector")):
        if known.get(column) is None:
            continue  # checked by the caller (a directory read partition by partition)
        values = frame[column]
        unknown = (values != "").to_numpy() & (known[column].positions(values) < 0)
        for row in schema.rows_of(frame, unknown):
            problems.append(Problem(label, f"names an {what} not in the {what}s file",
                                    row=int(row), column=column, value=values.iloc[row - 2],
                                    severity=severity))
    return frame, problems


def _check_history(
    frame: pd.DataFrame, known: dict[str, IdIndex], label: str | None
) -> tuple[pd.DataFrame, list[Problem]]:
    if label is None:
        frame = frame.copy()
        frame["date"] = pd.to_datetime(frame["date"])
        return frame, []
    frame, problems = check_refs(frame, known, label, severity="warning")
    problems = [p for p in problems if p.message != "empty cell; a value is required"
                or p.column != "inspector_id"]
    frame["date"], p = schema.parse_dates(frame, "date", label)
    return frame, problems + p


def _check_items(frame: pd.DataFrame, label: str | None) -> tuple[pd.DataFrame, list[Problem]]:
    if label is None:
        return frame, []
    problems = schema.require_values(frame, ("item_code", "item_name"), label)
    problems += schema.duplicates(frame, "item_code", label, "item")
    return frame, problems
