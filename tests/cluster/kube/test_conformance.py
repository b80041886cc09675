"""The shared read/write conformance tests, run on the simulator and on the live backend over `aoi sim serve`."""

from conformance import *  # noqa: F403  (the tests; `backend` is parametrised in conftest.py)
