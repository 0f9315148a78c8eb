"""Numbers that cannot drift: every record under docs/ carries its command, commit, date, machine
and protocol; its page (NAME.md beside NAME.json) is exactly what benchmarks/report.py renders
from it; and every page that quotes its tables quotes them verbatim. A table typed by hand, or a
record re-run without `python -m benchmarks.report`, fails here."""

import pytest

from benchmarks import report

# record -> the hand-written pages that quote it: every table line of the record's rendering
# (its whole text where it has no table) must be a line of each page. A (page, heading) entry
# quotes only the rendering's section under that heading. When a table moves to another page,
# change the page here.
QUOTED_IN = {
    "docs/amortized/amortized.json": [("docs/amortized.md", "## Summary")],
    "docs/continuity/continuity.json": ["docs/continuity.md"],
    "docs/continuity/atari/continuity.json": ["docs/continuity.md"],
    "docs/gpu/h100_run1.json": [
        ("docs/performance.md", "## Batch inversion (official-size model, 20 Adam steps on z)")
    ],
    "docs/gpu/h100_run2.json": [
        ("docs/performance.md", "## Train step: JAX next to the official PyTorch step"),
        ("docs/performance.md", "## Batch inversion (official-size model, 20 Adam steps on z)"),
        ("docs/performance.md", "## Render"),
    ],
    "docs/performance/bench_train.json": ["docs/performance.md"],
    "docs/performance/inversion_throughput.json": ["docs/performance.md"],
    "docs/performance/time_to_quality.json": ["docs/performance.md"],
    "docs/hypernet_families/hypernet_families.json": ["docs/hypernet_families.md"],
    "docs/latent_space/latent_space.json": ["docs/latent_space.md"],
    "docs/prior/prior.json": ["docs/prior.md"],
    "docs/quick_start.json": ["README.md"],
    "docs/real_clips/real_clips.json": ["docs/latent_space.md"],
}

RECORDS = sorted(report.records())
PAGED = [r for r in RECORDS if report.page(r) is not None]


def test_every_record_has_a_renderer():
    unknown = report.unregistered()
    assert not unknown, f"{unknown}: add an entry to benchmarks/report.py REGISTRY"
    assert set(QUOTED_IN) <= set(RECORDS), set(QUOTED_IN) - set(RECORDS)


@pytest.mark.parametrize("record", RECORDS)
def test_record_has_its_header_and_renders(record):
    data = report.load(record)
    missing = [k for k in ("command", "commit", "date", "machine", "protocol") if not data.get(k)]
    assert not missing, f"{record} has no {missing}"
    assert report.render(record).strip()


@pytest.mark.parametrize("record", PAGED)
def test_page_is_the_records_rendering(record):
    page = report.page(record)
    assert page.exists() and page.read_text() == report.render(record), (
        f"{page.relative_to(report.ROOT)} differs from {record}: run `python -m benchmarks.report`"
    )


def _section(lines: list[str], heading: str) -> list[str]:
    """The lines under ``heading`` up to the next heading."""
    assert heading in lines, f"the rendering has no section {heading!r}"
    rest = lines[lines.index(heading) + 1 :]
    end = next((i for i, line in enumerate(rest) if line.startswith("#")), len(rest))
    return rest[:end]


@pytest.mark.parametrize(
    "record, quote", [(r, q) for r, quotes in sorted(QUOTED_IN.items()) for q in quotes]
)
def test_quoted_tables_are_the_records(record, quote):
    page, heading = quote if isinstance(quote, tuple) else (quote, None)
    rendered = report.render(record).splitlines()
    if heading is not None:
        rendered = _section(rendered, heading)
    quoted = [line for line in rendered if line.startswith("|")] or [
        line for line in rendered if line.strip()
    ]
    lines = set((report.ROOT / page).read_text().splitlines())
    missing = [line for line in quoted if line not in lines]
    assert not missing, f"{page} differs from {record}; paste its tables again: {missing}"


def test_quick_start_eval_table_is_quoted():
    """docs/eval_shapes.md is `inrv evaluate`'s report of the quick-start record's run
    (benchmarks.quick_start copies it beside docs/quick_start.json); docs/using.md quotes its
    first table, the held-out tasks against their baselines."""
    lines = (report.ROOT / "docs/eval_shapes.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    table = lines[start:end]
    assert len(table) > 3
    page = set((report.ROOT / "docs/using.md").read_text().splitlines())
    missing = [line for line in table if line not in page]
    assert not missing, f"docs/using.md differs from docs/eval_shapes.md: {missing}"
