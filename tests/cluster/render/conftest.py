"""Make the shared synthetic-object factories importable (``--import-mode=importlib`` adds no test dirs to
``sys.path``, so the helper module is registered by file path under its own unique name)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_FACTORIES = Path(__file__).with_name("render_factories.py")
if "render_factories" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("render_factories", _FACTORIES)
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["render_factories"] = _module
    _spec.loader.exec_module(_module)
