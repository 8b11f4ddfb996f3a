"""政治生态分析研判报告 (quarter), 画像报告 (one unit) and 月通报 (a month end): figures (data, scores, monthly),
sentences (text) and the Word writer (writer, monthly)."""
