"""/etc/dgx-release parser (plugins/module_utils/dgx_release.py) against the real fixture."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("dgx_release", ROOT / "plugins" / "module_utils" / "dgx_release.py")
dgx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dgx)


def test_fixture_last_ota_is_current():
    text = (ROOT / "tests" / "fixtures" / "dgx_release.1.txt").read_text()
    assert text.startswith("# source:")
    r = dgx.parse_dgx_release(text)
    assert r["name"] == "DGX Server" and r["pretty_name"] == "NVIDIA DGX Server"
    assert r["platform"] == "DGX Server for DGX A100"
    assert r["base_version"] == "5.0.0" and r["swbuild_date"] == "2020-10-26-11-53-11"
    assert r["commit_id"] == "7501dff" and r["serial_number"] == "XXXXXXXXXXXX"
    assert [o["version"] for o in r["ota"]] == ["5.0.5", "5.1.1", "5.2.0", "5.3.1", "5.5.1"]
    assert all(o["date"] == "XXXXXXXXXXXXXXXXX" for o in r["ota"])
    assert r["version"] == "5.5.1" and r["major"] == 5
    assert "DGX_OTA_VERSION" not in r["fields"]
    assert list(r["fields"]) == ["DGX_NAME", "DGX_PRETTY_NAME", "DGX_SWBUILD_DATE", "DGX_SWBUILD_VERSION",
                                 "DGX_COMMIT_ID", "DGX_PLATFORM", "DGX_SERIAL_NUMBER"]


def test_fresh_install_without_ota():
    r = dgx.parse_dgx_release('DGX_NAME="DGX Server"\nDGX_SWBUILD_VERSION="6.1.0"\n')
    assert r["ota"] == [] and r["version"] == "6.1.0" and r["major"] == 6


def test_tolerant_quoting_and_noise():
    text = "# comment\nDGX_SWBUILD_VERSION='4.1.0'\nDGX_PLATFORM=DGX Server for DGX-1\n\ngarbage line\n" \
           'DGX_OTA_VERSION="4.4.0"\n'
    r = dgx.parse_dgx_release(text)
    assert r["base_version"] == "4.1.0" and r["platform"] == "DGX Server for DGX-1"
    assert r["ota"] == [{"version": "4.4.0", "date": None}] and r["version"] == "4.4.0"


def test_empty():
    r = dgx.parse_dgx_release("")
    assert r["version"] is None and r["major"] is None and r["fields"] == {}
