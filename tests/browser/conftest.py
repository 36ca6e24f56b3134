"""Browser tests: the fixtures live in tests/browser_support.py."""
from browser_support import app_server, browser, page  # noqa: F401  (fixtures)
