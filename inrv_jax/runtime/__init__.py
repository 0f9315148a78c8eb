"""Process-level settings of the programs that run the library (the ``inrv`` CLI, ``launch/``):
they act on the process, not on arrays, and nothing in the library imports them."""
