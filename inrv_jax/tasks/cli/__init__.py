"""The task commands' command lines, one module per command: its arguments (``add_arguments``)
and the options that lower its memory (``MEMORY_KNOBS``, quoted when it runs out of memory).

These modules import no jax (nor flax, optax, orbax), so ``inrv COMMAND --help`` and a mistyped
option answer at once. Running a command is ``run(args)`` of its library module
(``inrv_jax.tasks.render`` for ``inrv render``, ...), which ``inrv_jax.cli`` imports only then.
"""
