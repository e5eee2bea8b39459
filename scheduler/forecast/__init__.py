"""Contact-volume forecasting from history and the promotion/holiday calendar.

Public surface: :func:`run_forecast` (the pipeline's stage, see docs/architecture.md
"Forecast"), :func:`run_backtest` (rolling-origin evaluation), :class:`ForecastResult`,
:class:`CalendarRegression` (the daily level model with named regressors, usable on any daily
or weekly series) and ``MODEL_NAMES``. Method and figures: docs/forecast.md.
"""

from scheduler.forecast.backtest import METRIC_COLUMNS
from scheduler.forecast.models import MODEL_NAMES
from scheduler.forecast.regression import CalendarRegression, RegressionSpec, check_regressors
from scheduler.forecast.run import ForecastResult, run_backtest, run_forecast

__all__ = [
    "run_forecast", "run_backtest", "ForecastResult", "CalendarRegression", "RegressionSpec",
    "check_regressors", "MODEL_NAMES", "METRIC_COLUMNS",
]
