"""verify.html in a real headless Chromium: a good bundle verifies, tampered ones do not.

Skipped when no Chromium is found - except under ``CI=true``, where a missing browser fails
the tests (``.ci/run`` installs Debian's ``chromium``).
"""

import json
import math
import os

import pytest

from planner.publish.verifier import render_verifier
from tests.support.browser import DevTools, dump_dom, find_chromium, verdict
from tests.support.public import committed_draw, invoke

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    found = find_chromium()
    if found is None:
        message = ("no Chromium found (install Debian's chromium, or set CHROMIUM=/path); "
                   "the verify.html tests need a real browser")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {message}", pytrace=False)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    base = tmp_path_factory.mktemp("bundle")
    plan = committed_draw(base, replace=1)
    public = base / "public"
    invoke("publish", plan.out, "-o", public)
    invoke("proof", plan.out, plan.enterprises["enterprise_id"][0])
    return plan, public


def page_with(tmp_path, public, record=None, attachments=None):
    """A verify.html for the bundle, its record edited (as a forger would) and files attached."""
    doc = json.loads((public / "draw-record-public.json").read_text(encoding="utf-8"))
    if record:
        record(doc)
    text = json.dumps(doc, ensure_ascii=False)
    commitment = (public / "commitment.json").read_text(encoding="utf-8")
    page = tmp_path / "verify.html"
    page.write_text(render_verifier(text, commitment, attachments), encoding="utf-8")
    return page


def check(browser, page):
    text, items = verdict(dump_dom(browser, page))
    return text, items


def test_the_published_page_verifies_on_opening(browser, bundle):
    plan, public = bundle
    text, items = check(browser, public / "verify.html")
    assert text.startswith("verified (验证通过): 29 enterprises of plan PUB-2026-Q1 in 3 strata"), text
    assert items == []


def test_a_changed_ticket_is_found_to_the_last_digit(browser, bundle, tmp_path):
    _, public = bundle

    def nudge(doc):  # the adjacent double: the same to 16 significant digits
        row = doc["drawn"][3]
        row["ticket"] = repr(math.nextafter(float(row["ticket"]), 1.0))
        doc["sample"] = [dict(s, ticket=row["ticket"]) if s["enterprise_id"] == row["enterprise_id"]
                         else s for s in doc["sample"]]
    text, items = check(browser, page_with(tmp_path, public, nudge))
    assert text.startswith("not verified (验证未通过): 2 difference(s)"), text
    row = json.loads((public / "draw-record-public.json").read_text(encoding="utf-8"))["drawn"][3]
    assert items[0] == (f"{row['enterprise_id']}: ticket is "
                        f"{math.nextafter(float(row['ticket']), 1.0)!r}, the formula gives "
                        f"{row['ticket']}")


def test_a_changed_ticket_in_the_page_itself(browser, bundle, tmp_path):
    _, public = bundle
    html = (public / "verify.html").read_text(encoding="utf-8")
    row = json.loads((public / "draw-record-public.json").read_text(encoding="utf-8"))["drawn"][0]
    assert html.count(row["digest"]) == 1
    page = tmp_path / "verify.html"
    page.write_text(html.replace(row["digest"], "0" * 64), encoding="utf-8")
    text, items = check(browser, page)
    assert text.startswith("not verified"), text
    assert any(i.startswith(f"{row['enterprise_id']}: digest is {'0' * 64}") for i in items)


def test_a_swapped_id(browser, bundle, tmp_path):
    plan, public = bundle
    doc = json.loads((public / "draw-record-public.json").read_text(encoding="utf-8"))
    drawn = {d["enterprise_id"] for d in doc["drawn"]} | {r["replaced_by"] for r in doc["replacements"]}
    other = next(e for e in plan.enterprises["enterprise_id"] if e not in drawn)
    victim = doc["sample"][5]["enterprise_id"]

    def swap(doc):
        for rows in (doc["drawn"], doc["sample"]):
            for row in rows:
                if row["enterprise_id"] == victim:
                    row["enterprise_id"] = other
    text, items = check(browser, page_with(tmp_path, public, swap))
    assert text.startswith("not verified"), text
    assert any(i.startswith(f"{other}: digest is ") for i in items)
    assert any(i.startswith(f"{other}: ticket is ") for i in items)


def test_a_changed_seed(browser, bundle, tmp_path):
    _, public = bundle
    text, items = check(browser, page_with(tmp_path, public, lambda d: d.update(seed="1-2-3")))
    assert text.startswith("not verified"), text
    digests = [i for i in items if ": digest is " in i]
    assert len(digests) == 29 and all('sha256("1-2-3:' in i for i in digests)


def test_a_dropped_enterprise(browser, bundle, tmp_path):
    _, public = bundle

    def drop(doc):
        victim = doc["drawn"][-1]
        doc["drawn"].remove(victim)
        doc["sample"] = [s for s in doc["sample"] if s["enterprise_id"] != victim["enterprise_id"]]
    doc = json.loads((public / "draw-record-public.json").read_text(encoding="utf-8"))
    last = doc["drawn"][-1]
    count = next(s["drawn"] for s in doc["strata"] if s["label"] == last["stratum"])
    text, items = check(browser, page_with(tmp_path, public, drop))
    assert text.startswith("not verified (验证未通过): 1 difference(s)"), text
    assert items == [f"stratum {last['stratum']}: {count - 1} enterprises drawn, the commitment "
                     f"says {count}"]


def test_a_proof_checks_and_a_forged_one_does_not(browser, bundle, tmp_path):
    plan, public = bundle
    eid = plan.enterprises["enterprise_id"][0]
    proof = (plan.out / "proofs" / f"proof-{eid}.json").read_text(encoding="utf-8")
    outcome = json.loads(proof)["outcome"]
    text, items = check(browser, page_with(tmp_path, public, attachments=[("proof.json", proof)]))
    assert text.startswith("verified"), text
    assert any(i.startswith(f"proof of {eid}: {outcome}; stratum S") for i in items)
    forged = json.loads(proof)
    forged["stratum"] = "S1" if forged["stratum"] != "S1" else "S2"
    text, items = check(browser, page_with(tmp_path, public,
                                           attachments=[("proof.json", json.dumps(forged))]))
    assert text.startswith("not verified"), text
    assert any("its Merkle path leads to" in i for i in items)


def test_the_eligible_list_recomputes_the_whole_draw(browser, bundle, tmp_path):
    plan, public = bundle
    audit = (plan.out / "eligible-audit.csv").read_text(encoding="utf-8")
    text, items = check(browser, page_with(tmp_path, public,
                                           attachments=[("eligible-audit.csv", audit)]))
    assert text.startswith("verified"), text
    assert "eligible-audit.csv: 90 eligible enterprises; the whole draw recomputed" in items
    # a list without one drawn enterprise: another root, one fewer eligible, another draw
    doc = json.loads((public / "draw-record-public.json").read_text(encoding="utf-8"))
    victim = doc["drawn"][0]
    lines = [line for line in audit.splitlines() if not line.startswith(victim["enterprise_id"])]
    text, items = check(browser, page_with(tmp_path, public,
                                           attachments=[("list.csv", "\n".join(lines) + "\n")]))
    assert text.startswith("not verified"), text
    assert any(i.startswith("list.csv: its Merkle root is ") for i in items)
    assert any(i.startswith(f"list.csv: stratum {victim['stratum']} has ") for i in items)
    assert any(i.startswith(f"list.csv: {victim['enterprise_id']} is drawn in ") for i in items)


def test_files_chosen_in_the_file_picker_are_checked(browser, bundle, tmp_path):
    """A person opens the published page and picks a proof, the eligible list and a notice."""
    plan, public = bundle
    eid = plan.enterprises["enterprise_id"][0]
    proof = plan.out / "proofs" / f"proof-{eid}.json"
    outcome = json.loads(proof.read_text(encoding="utf-8"))["outcome"]
    tools = DevTools(browser, public / "verify.html")
    try:
        first = tools.wait_for("document.getElementById('verdict').className")
        assert first == "ok"
        tools.choose_files("#files", [proof, plan.out / "eligible-audit.csv",
                                      public / "commitment.json", public / "task-notice.xlsx"])
        tools.wait_for("document.getElementById('loaded').children.length === 4")
        text = tools.wait_for("(t => t.includes('whole draw recomputed') && t)"
                              "(document.getElementById('verdict').textContent)")
        assert text.startswith("verified"), text
        assert f"proof of {eid}: {outcome}" in text
        assert "task-notice.xlsx: not checked here" in text
        # a forged eligible list chosen next turns the verdict
        forged = tmp_path / "forged.csv"
        lines = (plan.out / "eligible-audit.csv").read_text(encoding="utf-8").splitlines()
        forged.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
        tools.choose_files("#files", [forged])
        text = tools.wait_for("(t => t.startsWith('not verified') && t)"
                              "(document.getElementById('verdict').textContent)")
        assert "forged.csv: its Merkle root is " in text
    finally:
        tools.close()


def test_a_replacement_that_skipped_the_next_ticket(browser, bundle, tmp_path):
    """A forger swaps the replacement for a later enterprise and recomputes its ticket: the page
    alone cannot tell, the eligible list can."""
    import hashlib

    plan, public = bundle
    doc = json.loads((public / "draw-record-public.json").read_text(encoding="utf-8"))
    rep = doc["replacements"][0]
    audit = (plan.out / "eligible-audit.csv").read_text(encoding="utf-8").splitlines()[1:]
    taken = {d["enterprise_id"] for d in doc["drawn"]} | {rep["replaced_by"]}
    digest = lambda e: hashlib.sha256(f"{doc['seed']}:{e}".encode()).hexdigest()  # noqa: E731
    later = sorted((digest(e), e) for e, s in (line.split(",") for line in audit)
                   if s == rep["stratum"] and e not in taken and digest(e) > digest(rep["replaced_by"]))
    d, other = later[0]

    def forge(doc):
        r = doc["replacements"][0]
        honest = r["replaced_by"]
        r.update(replaced_by=other, digest=d, ticket=repr(int(d, 16) / 2**256))
        for s in doc["sample"]:
            if s["enterprise_id"] == honest:
                s.update(enterprise_id=other, ticket=r["ticket"])
    text, _ = check(browser, page_with(tmp_path, public, forge))
    assert text.startswith("verified"), text
    text, items = check(browser, page_with(
        tmp_path, public, forge,
        attachments=[("eligible-audit.csv", (plan.out / "eligible-audit.csv").read_text())]))
    assert text.startswith("not verified (验证未通过): 1 difference(s)"), text
    assert items[0] == (f"eligible-audit.csv: replacement 1 should take {rep['replaced_by']}, "
                        f"the record says {other}")
    # the passed-over enterprise's proof, even forged to agree with the record, shows it
    invoke("proof", plan.out, rep["replaced_by"])
    proof = json.loads((plan.out / "proofs" / f"proof-{rep['replaced_by']}.json").read_text())
    proof.update(outcome="not drawn", replacements=[])
    text, items = check(browser, page_with(tmp_path, public, forge,
                                           attachments=[("proof.json", json.dumps(proof))]))
    assert text.startswith("not verified (验证未通过): 1 difference(s)"), text
    assert items[0] == (f"proof of {rep['replaced_by']}: its ticket is below that of {other}, "
                        "which replacement 1 took instead")


def test_published_text_cannot_break_out_of_the_page(browser, bundle, tmp_path):
    _, public = bundle
    hostile = '</script><script>document.title="owned"</script><b>x</b>'

    def reason(doc):
        doc["replacements"][0]["reason"] = hostile
    page = page_with(tmp_path, public, reason)
    dom = dump_dom(browser, page)
    text, items = verdict(dom)
    assert text.startswith("verified"), text
    assert "owned" not in dom.split("<body")[0]
    assert "&lt;/script&gt;&lt;script&gt;document.title" in dom  # shown as text in the table
