"""Case 13: the server configuration the app ships keeps XSRF protection on and caps uploads at
the limit the library enforces."""
from __future__ import annotations

import tomllib

from tests.paths import REPO
from workbench.config import Settings


def test_server_config_keeps_xsrf_and_caps_uploads():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    server = config["server"]
    assert server["enableXsrfProtection"] is True
    assert server.get("enableCORS", True) is True
    assert 0 < server["maxUploadSize"] <= 1024
    # The browser-side cap (MB) and the library's own check are the same number.
    assert server["maxUploadSize"] * 1024 * 1024 == Settings().max_upload_bytes
    assert config["browser"]["gatherUsageStats"] is False
    assert server["address"] == "127.0.0.1"      # no login: only this machine may reach it


def test_an_exposed_app_warns_and_a_local_one_does_not():
    from workbench.config import exposure_warning
    for local in ("127.0.0.1", "localhost", "::1", "[::1]"):
        assert exposure_warning(local) is None
    assert "every network interface" in exposure_warning("")
    assert "listens on 0.0.0.0 and has no login" in exposure_warning("0.0.0.0")
    assert exposure_warning("0.0.0.0", login=True) is None

