"""The test suite.

Bytecode caches are written while it runs, whatever PYTHONDONTWRITEBYTECODE says: this package
is imported before the first conftest, so the test modules' rewritten assertions and the
project's modules are compiled once, not again in every pytest-xdist worker and every worker,
API or `onego run` subprocess a test starts (they inherit the environment).
"""

import os
import sys

sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
