"""README's result tables are generated from their recorded runs (command, commit, date,
machine, protocol): a table typed by hand, or a record re-run without updating README, fails here."""

import importlib.util
import json
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
# The benchmark scripts import benchmarks/common.py as their sibling (`import common`).
sys.path.insert(0, str(ROOT / "benchmarks"))
# record -> the script whose markdown() renders it
RECORDS = {
    "docs/continuity/continuity.json": "continuity",
    "docs/continuity/atari/continuity.json": "continuity",
    "docs/latent_space/latent_space.json": "latent_space",
    "docs/real_clips/real_clips.json": "real_clips",
}


def _benchmark(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / f"benchmarks/{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("record", sorted(RECORDS))
def test_readme_table_is_what_the_record_renders(record):
    data = json.loads((ROOT / record).read_text())
    for key in ("command", "commit", "date", "machine", "protocol"):
        assert data[key], f"{record} has no {key}"
    rendered = _benchmark(RECORDS[record]).markdown(data)
    readme = (ROOT / "README.md").read_text()
    missing = [line for line in rendered.splitlines() if line not in readme]
    assert not missing, f"README differs from {record}; paste {record[:-5]}.md: {missing}"
    # The page beside the record is the record's own rendering too.
    assert (ROOT / record.replace(".json", ".md")).read_text() == rendered


@pytest.mark.parametrize(
    "record",
    sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("docs/continuity/**/continuity.json")),
)
def test_every_continuity_page_is_its_records_rendering(record):
    data = json.loads((ROOT / record).read_text())
    assert (ROOT / record.replace(".json", ".md")).read_text() == _benchmark("continuity").markdown(
        data
    )
