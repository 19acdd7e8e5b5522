"""``planner publish``: the public bundle (一公开) a bureau puts on its website.

:func:`publish_bundle` reads a committed, drawn and exported plan folder and writes a new
folder holding only what may be published:

- ``task-notice.xlsx`` - the task notice (抽查任务公告);
- ``result-notice.xlsx`` - the result notice (抽查结果公告), once ``planner results`` has run;
- ``commitment.json`` - the commitment, byte for byte as made before the seed;
- ``draw-record-public.json`` - the public draw record: seed and its source, each stratum's
  eligible and drawn counts under neutral labels (S1, S2, ...), each drawn enterprise with its
  ticket, digest and rank, the replacements with their reasons, the final sample and the
  program version;
- ``verify.html`` - one self-contained page that checks all of it in a browser
  (:mod:`planner.publish.verifier`).

Nothing else is copied: no risk class (unless ``[publish] classes = "public"`` was committed),
no inspector data, and free text (remarks, replacement reasons) only when it passes
:func:`privacy_check`; text that fails is withheld and reported.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from planner import __version__
from planner.common.errors import InputError, VerificationError
from planner.common.io import read_table, sha256_file
from planner.draw import record as rec
from planner.draw import tickets
from planner.draw.commit import COMMITMENT_NAME, read_commitment, read_key
from planner.draw.merkle import label_number
from planner.plan import folder
from planner.plan.transaction import locks_output
from planner.publish.disclosure import write_result_notice, write_task_notice
from planner.publish.privacy import PrivacyCheck, Roster
from planner.publish.results import ExportedPlan
from planner.publish.tasks import ID_SEPARATOR
from planner.publish.verifier import render_verifier

PUBLIC_RECORD_NAME = "draw-record-public.json"
TASK_NOTICE_NAME = "task-notice.xlsx"
RESULT_NOTICE_NAME = "result-notice.xlsx"
VERIFIER_NAME = "verify.html"
PUBLIC_FORMAT = "planner-public-draw/1"
WITHHELD = "[withheld: failed the privacy check]"
TICKET_COMPARISON = (
    "digest is the hex SHA-256 and must match exactly; ticket is Python's repr of "
    "int(digest, 16) / 2**256 and is compared as the IEEE 754 double it denotes, which must "
    "equal the correctly rounded value of the 256-bit integer / 2**256; order uses the digest"
)


def privacy_check(text: str, *, private_words: list[str]) -> list[str]:
    """Return why ``text`` may not be published (an empty list: it may).

    The last check of free text (remarks 备注, replacement reasons) before it goes into the
    public bundle. Remarks were already checked against the whole roster when the results
    were read (:mod:`planner.publish.privacy`); here every text is checked again for the
    patterns of personal data (phone, resident identity and certificate numbers) and for
    ``private_words``: the plan's inspector ids and names and its internal class labels.
    Empty text passes.

    Parameters
    ----------
    text : str
        The free text.
    private_words : list of str
        Words that must not appear.

    Returns
    -------
    list of str
        The problems found.
    """
    if not text or not text.strip():
        return []
    problems = [hit.describe(text) for hit in PrivacyCheck(Roster()).find(text)]
    return problems + [f"names {w!r}" for w in private_words if w and _contains_word(text, w)]


def _contains_word(text: str, word: str) -> bool:
    """Whether ``word`` occurs in ``text``; an ASCII word only as a whole token."""
    if not word.isascii():
        return word in text
    start = text.find(word)
    while start >= 0:
        before = text[start - 1] if start else " "
        end = start + len(word)
        after = text[end] if end < len(text) else " "
        if not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum()):
            return True
        start = text.find(word, start + 1)
    return False


@dataclass
class PublishResult:
    """What :func:`publish_bundle` wrote, and the free text it withheld."""

    public: Path
    files: list[str]
    withheld: list[str] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        """Lines for the terminal."""
        lines = [f"Published {len(self.files)} files to {self.public}: {', '.join(self.files)}"]
        lines += [f"  withheld: {w}" for w in self.withheld]
        lines.append(f"  open {self.public / VERIFIER_NAME} in a browser to check the draw")
        return lines


def public_record(record: dict[str, Any], commitment: dict[str, Any], commitment_sha256: str,
                  private_words: list[str], withheld: list[str]) -> dict[str, Any]:
    """Build the public draw record from the internal one and the commitment.

    Parameters
    ----------
    record : dict
        ``draw-record.json`` (internal).
    commitment : dict
        ``commitment.json``.
    commitment_sha256 : str
        Its SHA-256.
    private_words : list of str
        Words free text may not contain (see :func:`privacy_check`).
    withheld : list of str
        Grows with a note for each reason withheld.

    Returns
    -------
    dict
        The public record (strata under neutral labels).
    """
    labels = record["commitment"]["labels"]
    by_label = lambda rows: sorted(rows, key=lambda r: (label_number(r["stratum"]), r["rank"]))  # noqa: E731
    drawn = by_label([
        {"enterprise_id": d["enterprise_id"], "stratum": labels[d["stratum"]],
         "rank": int(d["rank"]), "ticket": repr(float(d["ticket"])), "digest": d["digest"]}
        for d in record["drawn"]])
    replacements = []
    for r in record.get("replacements", []):
        reason = r["reason"]
        problems = privacy_check(reason, private_words=private_words)
        if problems:
            withheld.append(f"replacement {r['sequence']} reason ({'; '.join(problems)})")
            reason = WITHHELD
        replacements.append({
            "sequence": r["sequence"], "enterprise_id": r["enterprise_id"],
            "stratum": labels[r["stratum"]], "reason": reason, "replaced_by": r["replaced_by"],
            "rank": r["rank"], "ticket": None if r["ticket"] is None else repr(float(r["ticket"])),
            "digest": r["digest"]})
    gone = {r["enterprise_id"] for r in replacements}
    final = [{k: d[k] for k in ("enterprise_id", "stratum", "rank", "ticket")} for d in drawn
             if d["enterprise_id"] not in gone]
    final += [{"enterprise_id": r["replaced_by"], "stratum": r["stratum"], "rank": r["rank"],
               "ticket": r["ticket"]} for r in replacements
              if r["replaced_by"] and r["replaced_by"] not in gone]
    out = {
        "format": PUBLIC_FORMAT,
        "program": {"name": "planner", "version": record.get("program", {}).get("version"),
                    "published_with": __version__},
        "plan": commitment["plan"],
        "seed": record["seed"],
        "seed_source": commitment["seed_source"],
        "commitment": {"file": COMMITMENT_NAME, "sha256": commitment_sha256,
                       "merkle_root": commitment["merkle"]["root"]},
        "ticket": {"formula": tickets.TICKET_FORMULA, "comparison": TICKET_COMPARISON,
                   "selection": "in each stratum the n lowest digests; a replacement takes the "
                   "next-lowest digest of its stratum not yet drawn"},
        "strata": commitment["strata"],
        "drawn": drawn,
        "replacements": replacements,
        "sample": by_label(final),
    }
    if commitment.get("classes") == "public":
        out["stratum_names"] = commitment.get("stratum_names", {})
    return out


def dumps(value: dict[str, Any]) -> str:
    """Serialise a public JSON document deterministically (one list row per line)."""
    parts = []
    for key, item in value.items():
        if isinstance(item, list) and item and all(isinstance(x, dict) for x in item):
            body = "[\n" + ",\n".join("  " + json.dumps(x, ensure_ascii=False) for x in item) + "\n ]"
        else:
            body = json.dumps(item, ensure_ascii=False, indent=1).replace("\n", "\n ")
        parts.append(f" {json.dumps(key)}: {body}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


@locks_output("public", "planner publish")
def publish_bundle(out: str | Path, public: str | Path, *, progress=None) -> PublishResult:
    """Write the public bundle of the plan in ``out`` into the folder ``public``.

    Parameters
    ----------
    out : str or pathlib.Path
        The plan folder: committed (``planner commit``), drawn and exported
        (``planner run`` or ``planner export``), with results when ``planner results`` ran.
    public : str or pathlib.Path
        The bundle folder; written whole (aside, then moved into place).
    progress : callable, optional
        Progress reporter.

    Returns
    -------
    PublishResult
        The files written and the free text withheld.

    Raises
    ------
    InputError
        When a stage is missing, or ``public`` is a folder that is not a bundle.
    VerificationError
        When the draw did not follow the commitment in ``out``.
    """
    out, public = Path(out), Path(public)
    say = progress or (lambda _m: None)
    record = rec.read_record(out)
    commitment = read_commitment(out)
    if commitment is None or not record.get("commitment"):
        raise InputError("holds no committed draw: run planner commit SCENARIO -o OUT before "
                         "the seed exists, then planner draw / planner run", file=str(out))
    commitment_path = out / COMMITMENT_NAME
    commitment_sha = sha256_file(commitment_path)
    if commitment_sha != record["commitment"]["sha256"]:
        raise VerificationError(
            f"{commitment_path} changed after the draw (SHA-256 {commitment_sha}, the draw "
            f"record says {record['commitment']['sha256']}); run planner verify {out}")
    _check_target(out, public)
    plan = ExportedPlan.read(out)
    tasks = plan.tasks
    private_words = _private_words(tasks, read_key(out), commitment)
    withheld: list[str] = []
    say("publish: public draw record")
    document = public_record(record, commitment, commitment_sha, private_words, withheld)
    planned = set(tasks["enterprise_id"].astype(str))
    drawn = {row["enterprise_id"] for row in document["sample"]}
    if planned != drawn:
        raise InputError(
            f"lists {len(planned - drawn)} enterprise(s) no longer drawn and lacks "
            f"{len(drawn - planned)} drawn one(s) (after replacements?): run planner assign "
            "and planner export again, then publish", file=str(folder.path(out, folder.TASKS)))
    created = dt.datetime.combine(plan.facts.start, dt.time())
    parent = public.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{public.name}.", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)
    try:
        files = [COMMITMENT_NAME, PUBLIC_RECORD_NAME, TASK_NOTICE_NAME]
        shutil.copyfile(commitment_path, staging / COMMITMENT_NAME)
        text = dumps(document)
        (staging / PUBLIC_RECORD_NAME).write_text(text, encoding="utf-8", newline="\n")
        say("publish: notices")
        write_task_notice(staging / TASK_NOTICE_NAME, tasks, plan.facts, plan.language,
                          created=created)
        results = _published_results(out, tasks, private_words, withheld)
        if results is not None:
            created = dt.datetime.combine(max(results["completed"]), dt.time())
            write_result_notice(staging / RESULT_NOTICE_NAME, results, plan.facts,
                                plan.language, created=created)
            files.append(RESULT_NOTICE_NAME)
        commitment_text = commitment_path.read_text(encoding="utf-8")
        (staging / VERIFIER_NAME).write_text(render_verifier(text, commitment_text),
                                             encoding="utf-8", newline="\n")
        files.append(VERIFIER_NAME)
        if public.exists():
            shutil.rmtree(public)
        os.replace(staging, public)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return PublishResult(public, files, withheld)


def _check_target(out: Path, public: Path) -> None:
    if public.resolve() == out.resolve() or out.resolve() in public.resolve().parents:
        raise InputError("must be a folder outside the plan folder", file=str(public))
    if public.exists() and (not public.is_dir() or (
            any(public.iterdir()) and not (public / PUBLIC_RECORD_NAME).is_file())):
        raise InputError("exists and is not a public bundle; choose a new folder",
                         file=str(public))


def _private_words(tasks: pd.DataFrame, key: dict | None, commitment: dict) -> list[str]:
    words: set[str] = set()
    for column in ("lead_id", "lead_name", "member_ids", "member_names"):
        for value in tasks[column].astype(str):
            words.update(w.strip() for w in value.split(ID_SEPARATOR) if w.strip())
    if commitment.get("classes") != "public" and key:
        for info in key.get("strata", {}).values():
            if info.get("class"):
                words.add(str(info["class"]))
    return sorted(words)


def _published_results(out: Path, tasks: pd.DataFrame, private_words: list[str],
                       withheld: list[str]) -> pd.DataFrame | None:
    path = out / "results.csv"
    if not path.is_file():
        return None
    results = read_table(path, label=str(path))
    results = results[["task_id", "result", "completed", "remark"]].copy()
    remarks = []
    for task_id, remark in zip(results["task_id"], results["remark"].fillna("").astype(str),
                               strict=True):
        problems = privacy_check(remark, private_words=private_words)
        if problems:
            withheld.append(f"remark of task {task_id} ({'; '.join(problems)})")
            remark = WITHHELD
        remarks.append(remark)
    results["remark"] = remarks
    results["completed"] = results["completed"].map(dt.date.fromisoformat)
    merged = tasks[["task_id", "name", "enterprise_id", "registration_authority"]].merge(
        results, on="task_id", how="inner", validate="one_to_one")
    return merged
