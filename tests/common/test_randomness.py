"""One rule for every random number, and the published descriptions generated from it."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.common import randomness
from planner.demo import generate as demo
from planner.draw import tickets
from planner.simulate import montecarlo
from tests.support.docs import section

SEED = "2024-Q3 公开摇号"
IDS = ["91320900MA1XXXXXX1", "91110000100000000X", "  91110000600000000q "]


def _draws(rng: np.random.Generator) -> list[int]:
    return rng.integers(0, 2**62, size=8).tolist()


def test_help_prints_the_formula_the_draw_evaluates():
    result = CliRunner().invoke(cli, ["draw", "--help"])
    assert result.exit_code == 0
    lines = [line.strip() for line in result.output.splitlines() if "sha256" in line]
    assert lines == [tickets.TICKET_FORMULA]
    assert '.encode("utf-8")' in lines[0]
    for eid in IDS:
        evaluated = eval(lines[0], {"sha256": hashlib.sha256, "seed": SEED,  # noqa: S307
                                    "enterprise_id": tickets.canonical_id(eid)})
        assert evaluated == tickets.ticket(SEED, eid)
    words = tickets.ticket_words(IDS, SEED)
    assert tickets.words_to_hex(words) == [tickets.digest_hex(SEED, eid) for eid in IDS]


def test_readme_shows_the_generated_ticket_formula():
    assert f"ticket = {tickets.TICKET_FORMULA}\n" in section("The draw")


def test_record_describes_the_streams_the_assignment_draws(make_scenario, tmp_path, monkeypatch):
    used: list[tuple[str, str]] = []
    real = randomness.generator

    def spy(seed, purpose, unit):
        used.append((purpose, unit))
        return real(seed, purpose, unit)

    monkeypatch.setattr(randomness, "generator", spy)
    path = make_scenario(extra="[assignment]\ncross_station = true\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "draw-record.json").read_text(encoding="utf-8"))
    assert record["ticket"].startswith(f"ticket = {tickets.TICKET_FORMULA};")
    streams = record["assignment"]["randomness"]["streams"]
    assert streams == randomness.assign_streams_description()
    layout = re.search(r"sha256\(f'([^']*)'\)", streams).group(1)
    named = streams.split(" for purpose in ")[1].split(", ")
    assert named == list(randomness.ASSIGN_PURPOSES)
    # Every stream the assignment drew is one the record names (repair runs only on conflicts).
    assert {"thin", "costs", "leads"} <= {p for p, _ in used} <= set(named)
    seed = record["seed"]
    for purpose, unit in used:
        text = layout.format(seed=seed, unit=unit, purpose=purpose)
        entropy = int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16)
        assert _draws(np.random.default_rng(np.random.SeedSequence(entropy))) == \
            _draws(real(seed, purpose, unit))


@pytest.mark.parametrize("purpose", ["thin", "costs", "leads", "repair"])
def test_assignment_streams_keep_their_derivation(purpose):
    text = f"{SEED}:assign:东区:{purpose}"
    entropy = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest(), "big")
    assert randomness.message(SEED, purpose, "东区") == text
    assert _draws(randomness.generator(SEED, purpose, "东区")) == \
        _draws(np.random.default_rng(np.random.SeedSequence(entropy)))


@pytest.mark.parametrize(("purpose", "text"), [("simulate", f"simulate:{SEED}"), ("demo", SEED)])
def test_spawned_streams_are_the_children_of_one_root(purpose, text):
    root = np.random.SeedSequence(int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16))
    children = root.spawn(5)
    for i, ss in enumerate(children):
        assert _draws(randomness.generator(SEED, purpose, i)) == _draws(np.random.default_rng(ss))
        assert _draws(np.random.default_rng(randomness.child(root, i))) == \
            _draws(np.random.default_rng(ss))
    assert montecarlo.seed_sequence(SEED).entropy == randomness.seed_sequence(SEED, "simulate").entropy
    assert demo.seed_sequence(SEED).entropy == randomness.seed_sequence(SEED, "demo").entropy


def test_ticket_is_pinned():
    # The published rule: any change to the layout changes every draw ever made.
    digest = hashlib.sha256(b"seed:91110000100000000X").hexdigest()
    assert tickets.digest_hex("seed", " 91110000100000000x") == digest
    assert tickets.ticket("seed", "91110000100000000X") == int(digest, 16) / 2**256


def test_every_purpose_hashes_its_own_message():
    messages = {p: randomness.message("s", p, "u") for p in randomness.PURPOSES}
    assert len(set(messages.values())) == len(messages)


def test_unknown_purpose_and_ticket_stream_are_refused():
    with pytest.raises(ValueError, match="unknown purpose of randomness 'shuffle'"):
        randomness.generator("s", "shuffle", "u")
    with pytest.raises(ValueError, match="the ticket is a number"):
        randomness.seed_sequence("s", "ticket", "u")


def test_loop_quarters_keep_their_derivation():
    from planner.simulate import loop

    entropy = int.from_bytes(hashlib.sha256(f"simulate-loop:{SEED}".encode()).digest(), "big")
    for quarter in (0, 3):
        expected = np.random.SeedSequence(entropy, spawn_key=(quarter,))
        got = loop.quarter_seed(SEED, quarter)
        assert (got.entropy, got.spawn_key) == (expected.entropy, (quarter,))
        streams = loop.quarter_streams(SEED, quarter, 4)
        children = np.random.SeedSequence(entropy, spawn_key=(quarter,)).spawn(9)
        assert _draws(np.random.default_rng(streams.classes[0])) == \
            _draws(np.random.default_rng(children[1]))
        assert _draws(np.random.default_rng(streams.uniform)) == \
            _draws(np.random.default_rng(children[5]))
        assert _draws(np.random.default_rng(streams.drift)) == \
            _draws(np.random.default_rng(children[8]))


def test_programme_seeds_are_the_published_rule():
    # Published with the annual plan (抽查计划公告): batch K's seed, and the seed of the extra
    # inspection that the fractional part of a frequency owes.
    from types import SimpleNamespace

    from planner.programme import periods

    scenario = SimpleNamespace(plan=SimpleNamespace(seed=SEED), programme=None)
    assert periods.batch_seed(scenario, 3) == f"{SEED}/batch-3"
    assert periods.extra_seed(scenario) == f"{SEED}/extra"
    assert randomness.derived_seed(SEED, "batch", 2) == f"{SEED}/batch-2"
    listed = SimpleNamespace(plan=SimpleNamespace(seed=SEED),
                             programme=SimpleNamespace(batch_seeds=["a", "b"]))
    assert periods.batch_seed(listed, 2) == "b"
    digest = hashlib.sha256(f"{SEED}/extra:{IDS[1]}".encode()).hexdigest()
    assert tickets.ticket(periods.extra_seed(scenario), IDS[1]) == int(digest, 16) / 2**256
    with pytest.raises(ValueError, match="derived seed, not a stream"):
        randomness.generator(SEED, "batch", 1)
    with pytest.raises(ValueError, match="makes random numbers, not a derived seed"):
        randomness.derived_seed(SEED, "thin", "u")
