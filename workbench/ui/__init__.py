"""The Streamlit app: one module per page; the only place that imports Streamlit."""
