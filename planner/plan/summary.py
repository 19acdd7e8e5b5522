"""The validation summary printed by ``planner validate`` (and as JSON with ``--json``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planner.plan.inputs import Inputs


def summarise(inputs: Inputs) -> dict[str, Any]:
    """Count what the inputs hold.

    Parameters
    ----------
    inputs : Inputs
        Validated inputs.

    Returns
    -------
    dict
        Enterprises per class and district, eligible (active) count, inspectors per station
        and department, lead-capable and eligible counts, expired certificates, avoidance
        pairs, history rows, items, and the warnings.
    """
    ent = inputs.enterprises
    insp = inputs.inspectors
    classes = list(inputs.scheme.classes)
    by_class, by_district = _class_counts(ent["district"], ent["risk_class"], classes)
    return {
        "scenario": str(inputs.scenario.path),
        "plan": {
            "id": inputs.scenario.plan.id,
            "name": inputs.scenario.plan.name,
            "start": inputs.scenario.plan.start.isoformat(),
            "end": inputs.scenario.plan.end.isoformat(),
            "seed": inputs.scenario.plan.seed,
        },
        "scheme": inputs.scheme.name,
        "enterprises": {
            "total": int(len(ent)),
            "active": int(ent["active"].sum()),
            "inactive": int((~ent["active"]).sum()),
            "by_class": {c: int(n) for c, n in by_class.items()},
            "by_district": {
                str(d): {c: int(n) for c, n in row.items()} for d, row in by_district.iterrows()
            },
        },
        "inspectors": {
            "total": int(len(insp)),
            "eligible": int(insp["eligible"].sum()),
            "lead_capable": int((insp["can_lead"] & insp["eligible"]).sum()),
            "expired_certificates": int((~insp["certified"]).sum()),
            "unavailable": int((~insp["available"]).sum()),
            "by_station": _counts(insp, "station"),
            "by_department": _counts(insp, "department"),
        },
        "avoidance_pairs": int(len(inputs.avoidance)),
        "history_rows": int(len(inputs.history)),
        "items": int(len(inputs.items)),
        "inputs": {name: {"path": str(path), "sha256": inputs.hashes[name]}
                   for name, path in inputs.files.items()},
        "warnings": [w.to_dict() for w in inputs.warnings],
    }


def _class_counts(districts: pd.Series, risk_classes: pd.Series, classes: list[str]
                  ) -> tuple[pd.Series, pd.DataFrame]:
    """Count enterprises per class, and per district (rows, sorted) and class (columns).

    Classes are in the scheme's order. Districts and classes are numbered first and the
    pairs counted at once: a directory has millions of rows but few districts and classes.
    Rows without a class are not counted, nor rows without a district per district.
    """
    district_codes, names = pd.factorize(districts, sort=True)
    class_codes = pd.Categorical(risk_classes, categories=classes).codes.astype(np.int64)
    classed = class_codes >= 0
    by_class = pd.Series(np.bincount(class_codes[classed], minlength=len(classes)),
                         index=classes)
    counted = classed & (district_codes >= 0)
    pairs = district_codes[counted].astype(np.int64) * len(classes) + class_codes[counted]
    table = np.bincount(pairs, minlength=len(names) * len(classes)).reshape(-1, len(classes))
    by_district = pd.DataFrame(table, index=pd.Index(names, dtype=object), columns=classes)
    return by_class, by_district[table.sum(axis=1) > 0]


def _counts(frame: pd.DataFrame, column: str) -> dict[str, int]:
    values = frame[column].replace("", "(none)")
    return {str(k): int(v) for k, v in values.value_counts().sort_index().items()}


def format_summary(summary: dict[str, Any]) -> str:
    """Render :func:`summarise`'s result as aligned text for a terminal.

    Parameters
    ----------
    summary : dict
        As returned by :func:`summarise`.

    Returns
    -------
    str
        Several lines of text.
    """
    plan = summary["plan"]
    ent = summary["enterprises"]
    insp = summary["inspectors"]
    classes = list(ent["by_class"])
    lines = [
        f"Plan {plan['id']}: {plan['name']} ({plan['start']} to {plan['end']}), "
        + (f"seed {plan['seed']!r}" if plan["seed"] is not None else "no seed yet (commit first)"),
        f"Grading scheme: {summary['scheme']}",
        f"Enterprises: {ent['total']} ({ent['active']} active, {ent['inactive']} inactive)",
        "  by class:    " + "  ".join(f"{c} {n}" for c, n in ent["by_class"].items()),
        "  by district: " + " | ".join(["district"] + classes),
    ]
    for district, row in ent["by_district"].items():
        lines.append(f"    {district}: " + "  ".join(str(row[c]) for c in classes))
    lines += [
        f"Inspectors: {insp['total']} ({insp['eligible']} eligible, {insp['lead_capable']} "
        f"eligible and lead-capable, {insp['expired_certificates']} expired certificates, "
        f"{insp['unavailable']} unavailable)",
        "  by station:    " + ", ".join(f"{k} {v}" for k, v in insp["by_station"].items()),
        "  by department: " + ", ".join(f"{k} {v}" for k, v in insp["by_department"].items()),
        f"Avoidance pairs: {summary['avoidance_pairs']}; history rows: "
        f"{summary['history_rows']}; items: {summary['items']}",
    ]
    if summary["warnings"]:
        lines.append(f"Warnings: {len(summary['warnings'])}")
    return "\n".join(lines)
