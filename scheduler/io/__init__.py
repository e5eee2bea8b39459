"""Reading and writing files: data tables (CSV/xlsx), the roster workbook, CSV outputs.

io converts files to frames and back and decides nothing about planning.
"""
