"""政治生态分析研判看板: ledger import, figures, scores and exports (no Streamlit below this package)."""
