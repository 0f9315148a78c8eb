"""`inrv data ...`: validate video sources and convert them to TFDS.

inrv data check SPEC [--frames T --size H,W --crop center --stride S --data-dir DIR]
inrv data build-tfds SRC --name NAME --data-dir DIR [--size H,W --frames T]
inrv data manifest SPEC [--frames T --size H,W]   # print the manifest JSON

Flags are named like the `ClipOptions` fields they set (`--num-videos` -> num_videos), so
`_options` builds the options from the parsed flags without listing them again.
"""

from __future__ import annotations

import argparse
import json
import sys

from inrv_jax.data.parsing import parse_ints
from inrv_jax.errors import InputError


def _size(text: str) -> tuple[int, int]:
    """argparse type of --size: "H,W", "HxW" or one number for a square."""
    try:
        parts = parse_ints(text, name="--size")
    except InputError as err:
        raise argparse.ArgumentTypeError(str(err)) from err
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or min(parts) < 1:
        raise argparse.ArgumentTypeError(f"size must be H,W (or one number), got {text!r}")
    return parts[0], parts[1]


def _add_clip_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--frames", type=int, default=25, help="frames per clip T (default 25)")
    p.add_argument("--size", type=_size, default=(100, 100), help="frame size H,W (100,100)")
    p.add_argument("--crop", default="center", help='"center", "none" or "y0:y1,x0:x1"')
    p.add_argument("--stride", type=int, default=1, help="take every S-th frame")
    p.add_argument("--window", choices=("start", "random"), default="start")
    p.add_argument("--data-dir", default=None, help="TFDS data dir / base of relative paths")
    p.add_argument("--num-videos", type=int, default=None, help="only the first N videos")
    p.add_argument("--grayscale", choices=("convert", "error"), default="convert")
    p.add_argument("--alpha", choices=("drop", "error"), default="drop")
    p.add_argument("--high-bit-depth", choices=("error", "convert"), default="error")


def _options(args, **overrides):
    """The `ClipOptions` the parsed flags set (flags left at None keep the defaults)."""
    from inrv_jax.data.options import ClipOptions

    fields = ClipOptions.field_names()
    given = {k: v for k, v in vars(args).items() if k in fields and v is not None}
    return ClipOptions(**{**given, **overrides})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    check = sub.add_parser(
        "check",
        help="report every problem of every video; exit 1 if any",
        description="Decode every video as training would and report every problem.",
    )
    check.add_argument("spec", help="list file, folder, tfds:NAME[/SPLIT] or built-in name")
    _add_clip_options(check)
    check.add_argument("--json", action="store_true", help="print a JSON report")
    build = sub.add_parser("build-tfds", help="write a source as an array_record TFDS dataset")
    build.add_argument("spec", help="list file, folder or built-in name")
    build.add_argument("--name", required=True, help="dataset name (snake_case)")
    build.add_argument("--data-dir", required=True, help="TFDS data dir to write into")
    build.add_argument("--size", type=_size, default=(128, 128), help="stored frame size H,W")
    build.add_argument("--crop", default="center")
    build.add_argument("--frames", type=int, default=None, help="keep T frames (default all)")
    build.add_argument("--stride", type=int, default=1)
    build.add_argument("--on-error", choices=("raise", "skip"), default="raise")
    manifest = sub.add_parser("manifest", help="print the manifest (code row -> video) as JSON")
    manifest.add_argument("spec")
    _add_clip_options(manifest)
    manifest.add_argument("--on-error", choices=("raise", "skip"), default="raise")


def _run_check(args) -> int:
    from inrv_jax.data.check import check_source

    options = _options(args)
    reports = check_source(args.spec, options)  # DataError: exit 2 (inrv_jax.cli)
    bad = [r for r in reports if not r.ok]
    if args.json:
        print(json.dumps({"spec": args.spec, "reports": [r.to_dict() for r in reports]}, indent=1))
    else:
        for r in reports:
            print(
                f"{'ok  ' if r.ok else 'FAIL'} {r.path}"
                + (f"  ({'; '.join(r.notes)})" if r.notes else "")
            )
            for p in r.problems:
                print(
                    f"     - {p.reason}: {p.detail}" + (f"\n       fix: {p.fix}" if p.fix else "")
                )
        height, width = options.size
        print(
            f"{len(reports)} videos, {len(bad)} with problems "
            f"(T={options.frames}, size={height}x{width}, stride={options.stride})"
        )
    return 1 if bad else 0


def _run_build(args) -> int:
    from inrv_jax.data.sources import open_source
    from inrv_jax.data.tfds_io import write_tfds

    # --data-dir is where the dataset goes, not the base of the source's relative paths.
    # Without --frames, a 1-frame random window keeps every frame of each video decoded.
    whole = {"frames": 1, "window": "random"} if args.frames is None else {}
    source = open_source(args.spec, _options(args, data_dir=None, **whole))
    path = write_tfds(source, args.name, args.data_dir)
    print(f"wrote {path}; read it with spec tfds:{args.name} --data-dir {args.data_dir}")
    return 0


def _run_manifest(args) -> int:
    from inrv_jax.data.sources import open_source

    source = open_source(args.spec, _options(args))
    print(source.manifest.to_json())
    for path, reason in source.skipped:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    return 0


def run(args) -> int:
    actions = {"check": _run_check, "build-tfds": _run_build, "manifest": _run_manifest}
    return actions[args.data_command](args)
