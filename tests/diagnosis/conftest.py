"""Registers fakes.py by path as `diagnosis_fakes` (pytest's importlib mode puts no test folder on sys.path)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_FAKES = Path(__file__).with_name("fakes.py")
if "diagnosis_fakes" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("diagnosis_fakes", _FAKES)
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["diagnosis_fakes"] = _module
    _spec.loader.exec_module(_module)
