"""`hatch run release X.Y.Z`: bump, build, check and publish the four distributions.

The release code lives in ``tools/workhorse_release`` (not in any shipped
distribution); this script puts it on the path and runs its CLI.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workhorse_release.cli import main

if __name__ == "__main__":
    main()
