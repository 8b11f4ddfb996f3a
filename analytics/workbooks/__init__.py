"""Update workbooks (一表同享): each unit's open problems pre-filled in a workbook it returns as its next ledger.

build: the workbook itself; marker: the custom properties that identify a returned one; records: what was
generated and returned, and the units whose figures are carried over; changes: what a returned workbook changes.
"""
