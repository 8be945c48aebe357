"""Finds the binding core: built into the `amprig` program when Python runs inside it, else the
extension module next to this file."""
import os
import sys

if "_amprig_core" in sys.builtin_module_names:
    import _amprig_core as _core  # noqa: F401
else:
    try:
        from . import _core  # noqa: F401
    except ImportError as error:
        here = os.path.dirname(os.path.abspath(__file__))
        raise ImportError(
            f"amprig was imported from {here}, which has no built extension module (_core). "
            "Import the built package instead: run harness/dev build, or set "
            "PYTHONPATH=<build>/python") from error
