"""Translations are ready: babel.cfg finds the page's texts in Python, the template and the script."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_babel_extracts_texts_from_python_template_and_script(tmp_path):
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run([str(pybabel), "extract", "-F", "babel.cfg", "-o", str(pot), "."], cwd=ROOT, check=True,
                   capture_output=True, timeout=60)
    text = pot.read_text()
    assert 'msgid "thumbnail and snapshot"' in text  # octoprint_octorant/page.py
    assert 'msgid "No channel yet."' in text  # the settings template
    assert 'msgid "Enter a number."' in text  # the view model
    assert "octorant_settings.jinja2" in text and "octorant.js" in text
