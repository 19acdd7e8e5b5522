"""``verify.html``: one static page that checks a public bundle in the browser.

The page (``planner/publish/verify.html``) carries the public draw record and the exact text
of ``commitment.json`` inside it, so opened from disk with no network it checks them at once
with the browser's own SHA-256 (WebCrypto): the commitment's SHA-256 and root, every drawn
enterprise's digest and ticket, ranks and per-stratum order and counts, the replacements in
order, and the final sample. Through its file picker it also takes the bundle's other files,
proof files (``planner proof``) and the auditor's full eligible list (``eligible-audit.csv``:
then it recomputes the Merkle root and the whole draw).

Its verdict is the text of the element with id ``verdict``: ``verified ...`` or
``not verified ...`` followed by every difference.

Ticket comparison: the digest (hex) must match exactly; the published ticket string is read
as the IEEE 754 double it denotes and must equal the 256-bit integer converted to the nearest
double and divided by ``2**256`` (exact), which is what Python's ``int(digest, 16) / 2**256``
gives; order always uses the digest.
"""

from __future__ import annotations

import json
from importlib import resources


def _script_json(value) -> str:
    """JSON that cannot end its ``<script>`` element early (``<`` escaped)."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


def render_verifier(record_text: str, commitment_text: str,
                    attachments: list[tuple[str, str]] | None = None) -> str:
    """Return ``verify.html`` with the public record and the commitment embedded.

    Parameters
    ----------
    record_text : str
        ``draw-record-public.json`` as written.
    commitment_text : str
        ``commitment.json`` exactly as written (its SHA-256 is checked in the page).
    attachments : list of (str, str), optional
        Files (name, text) the page checks on opening as if picked: e.g. a page made for one
        enterprise with its proof, or an auditor's page with the eligible list.

    Returns
    -------
    str
        The HTML page.
    """
    template = resources.files("planner.publish").joinpath("verify.html").read_text(
        encoding="utf-8")
    record = json.loads(record_text)
    files = [{"name": n, "text": t} for n, t in (attachments or [])]
    return (template
            .replace("__PUBLIC_RECORD__", _script_json(record))
            .replace("__COMMITMENT_TEXT__", _script_json(commitment_text))
            .replace("__ATTACHED_FILES__", _script_json(files)))
