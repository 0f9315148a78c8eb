"""Official INR-V (PyTorch) checkpoints: ``reader`` converts a ``.pth`` into this project's
parameter tree (no torch at import time); ``importer`` writes it as a workdir (``inrv
import-official``)."""
