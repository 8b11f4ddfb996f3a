"""Entry point: `streamlit run dashboard.py`."""

import streamlit as st

st.set_page_config(page_title="政治生态分析研判看板", page_icon="📊", layout="wide")
page = st.navigation([st.Page("pages/overview.py", title="总览", icon="📊", default=True)])
page.run()
