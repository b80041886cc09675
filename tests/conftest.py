"""Suite-wide settings: Hypothesis must not fail on timing when the 2-core CI machine is busy."""

from __future__ import annotations

import os
import tempfile

from hypothesis import HealthCheck, settings

settings.register_profile("aoi", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("aoi")

# Tests never touch the user's AOI directory (database, keys, simulator sessions).
os.environ["AOI_HOME"] = tempfile.mkdtemp(prefix="aoi-test-home-")
