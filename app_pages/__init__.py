"""Streamlit pages: read the filters, call analytics, draw. No figures are computed here."""
