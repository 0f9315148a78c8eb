"""A record's commit says "-dirty" exactly when the code it ran differs from the commit: records a
benchmark wrote under docs/ earlier in the same checkout do not count, any other tracked change
does."""

import subprocess

from benchmarks import common


def _git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_dirty_only_when_a_tracked_file_outside_docs_differs(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "record.json").write_text("{}")
    (tmp_path / "code.py").write_text("x = 1\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c")
    clean = common.commit(tmp_path)
    assert clean and not clean.endswith("-dirty")
    (tmp_path / "docs" / "record.json").write_text('{"psnr": 1}')
    (tmp_path / "untracked.txt").write_text("scratch")
    assert common.commit(tmp_path) == clean
    (tmp_path / "code.py").write_text("x = 2\n")
    assert common.commit(tmp_path) == clean + "-dirty"


def test_outside_git_the_commit_is_unknown(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))  # even under a checkout
    assert common.commit(tmp_path) == "unknown"
