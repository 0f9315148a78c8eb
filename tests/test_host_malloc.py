"""host_malloc: with INRV_HOST_MALLOC=retain, freed large blocks are reused without page faults;
by default glibc is left alone (each case in a fresh process: the settings are process-wide)."""

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mallopt")

# Allocate, touch and free a 256 MiB block twice with the C allocator; print whether the
# settings were applied and the page faults of the second round.
_SCRIPT = textwrap.dedent(
    """
    import ctypes, resource, sys
    from inrv_jax.runtime.host_malloc import retain_freed_memory
    applied = retain_freed_memory(force=sys.argv[1] == "force")
    assert retain_freed_memory() == applied  # safe to call twice
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = (ctypes.c_void_p,)
    size = 256 << 20

    def round_trip():
        p = libc.malloc(size)
        ctypes.memset(p, 1, size)
        libc.free(p)

    round_trip()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    round_trip()
    print(applied, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    """
)


def _run(env_value, force=False):
    env = dict(os.environ)
    env.pop("INRV_HOST_MALLOC", None)
    if env_value is not None:
        env["INRV_HOST_MALLOC"] = env_value
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, "force" if force else "-"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.split()
    return out[0] == "True", int(out[1])


def test_retained_memory_is_reused_without_page_faults():
    applied, faults = _run("retain")
    assert applied
    # 256 MiB = 65,536 pages of 4 KiB; reusing the freed heap block touches no new page.
    assert faults < 1000


def test_force_applies_without_the_environment_variable():
    applied, faults = _run(None, force=True)
    assert applied and faults < 1000


@pytest.mark.parametrize("env_value", [None, "default"])
def test_default_setting_leaves_glibc_alone(env_value):
    applied, faults = _run(env_value)
    assert not applied
    # glibc mmaps a block this large and unmaps it on free: the second round faults again
    # (>= 128 faults even if the kernel backs it with 2 MiB pages).
    assert faults >= 128


def test_unknown_setting_is_an_error(monkeypatch):
    from inrv_jax.runtime import host_malloc

    monkeypatch.setattr(host_malloc, "_applied", False)
    monkeypatch.setenv("INRV_HOST_MALLOC", "fast")
    with pytest.raises(ValueError, match="INRV_HOST_MALLOC='fast'"):
        host_malloc.retain_freed_memory()


def test_cli_rejects_unknown_setting_with_a_message():
    env = dict(os.environ, INRV_HOST_MALLOC="fast")
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from inrv_jax.cli import main; sys.exit(main())",
         "--help"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "inrv: INRV_HOST_MALLOC='fast': use 'retain' or 'default'" in proc.stderr
    assert "Traceback" not in proc.stderr
