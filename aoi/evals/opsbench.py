"""Where the Cloud-OpsBench dev split lives, if it is here at all.

The data has no licence for redistribution: it is read at run time from outside the repository (the workspace's
`shared/data/cloud-opsbench-dev`, or `$AOI_OPSBENCH_DEV_DIR`) and never copied in. Callers skip cleanly when it is
absent.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "AOI_OPSBENCH_DEV_DIR"
RELATIVE = Path("shared") / "data" / "cloud-opsbench-dev"


def dev_split_dir() -> Path | None:
    """The dev split folder: `$AOI_OPSBENCH_DEV_DIR`, else `shared/data/cloud-opsbench-dev` beside the checkout
    (or beside any parent of the working directory); None when not found."""
    candidates = [Path(os.environ[ENV_VAR])] if os.environ.get(ENV_VAR) else []
    here = Path(__file__).resolve()
    candidates += [parent / RELATIVE for parent in here.parents]
    candidates += [parent / RELATIVE for parent in Path.cwd().resolve().parents]
    for candidate in candidates:
        if candidate.is_dir() and any(candidate.glob("*/*/tool_cache.json")):
            return candidate
    return None


def case_dirs(root: Path) -> list[Path]:
    """Every case folder (`<category>/<id>`) of a split, sorted."""
    return sorted(p.parent for p in root.glob("*/*/tool_cache.json"))
