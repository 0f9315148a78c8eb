"""The ``inrv`` commands, one module per command (``inrv_jax.cli.COMMANDS`` names them).

A command module holds its command line (``add_arguments(parser)``), the options that lower its
memory (``MEMORY_KNOBS``, quoted when it runs out of memory) and ``run(args) -> int``, which turns
the parsed flags into plain values once and calls the library. Everything that reads an argparse
namespace lives here; the library (``inrv_jax.tasks``, ``train``, ``data``, ...) takes values.

The modules import no jax (nor flax, optax, orbax) at the top, so ``inrv COMMAND --help`` and a
mistyped option answer at once; ``run`` imports the library it calls.
"""
