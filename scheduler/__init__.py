"""scheduler: workforce planning for e-commerce customer-service centres.

Stages (each a plain function over pandas DataFrames and frozen configuration):
forecast -> staffing (requirements) -> optimize (roster) -> validate / simulate -> io (Excel).
"""

__version__ = "0.1.0"
