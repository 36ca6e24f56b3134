"""Streamlit entry point: ``streamlit run app.py`` (see README)."""
from workbench.ui.shell import run

run()
