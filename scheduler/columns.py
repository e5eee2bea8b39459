"""Column names of the long-format frames passed between stages (one place).

Frames use tz-naive *local wall-clock* timestamps of the centre (the scenario's
``timezone`` says which zone); intervals are labelled by their start.
"""

# history / forecast input
DS = "ds"                  # interval start, local time (datetime64)
QUEUE = "queue"            # queue name (str)
VOLUME = "volume"          # contacts offered in the interval (float, >= 0)
AHT_S = "aht_s"            # average handling time, seconds
HISTORY_COLUMNS = (DS, QUEUE, VOLUME)
HISTORY_OPTIONAL = (AHT_S,)

# forecast output
VOLUME_LO = "volume_lo"    # lower quantile (10 %)
VOLUME_HI = "volume_hi"    # upper quantile (90 %)
MODEL = "model"
FORECAST_COLUMNS = (DS, QUEUE, VOLUME, VOLUME_LO, VOLUME_HI, MODEL)

# calendar
NAME = "name"
KIND = "kind"
START = "start"
END = "end"
PEAK = "peak"
UPLIFT = "uplift"
CALENDAR_COLUMNS = (NAME, KIND, START, END)
CALENDAR_OPTIONAL = (PEAK, UPLIFT)
CALENDAR_KINDS = ("promotion", "holiday", "closure", "logistics_stop", "event")

# agents
AGENT_ID = "agent_id"
AGENT_NAME = "name"
TEAM = "team"
SKILLS = "skills"
CONTRACT = "contract"
SENIORITY = "seniority"
UNAVAILABLE = "unavailable"
NIGHT_OK = "night_ok"
AGENT_COLUMNS = (AGENT_ID, AGENT_NAME, TEAM, SKILLS, CONTRACT, SENIORITY)
AGENT_OPTIONAL = (UNAVAILABLE, NIGHT_OK)
TEAMS = ("tier1", "tier2", "night", "overflow")
SENIORITIES = ("senior", "junior")

# requirements (staffing output), one row per queue x interval
INTERVAL_START = "interval_start"
REQUIRED = "required"              # agents needed on the queue (after shrinkage), float or int
WORKLOAD = "workload_erlangs"      # offered load, Erlangs
SERVICE_LEVEL = "service_level"

# roster outputs
DATE = "date"
SHIFT = "shift"
SHIFT_START = "start"
SHIFT_END = "end"
PAID_H = "paid_h"
ASSIGNMENT_COLUMNS = (AGENT_ID, TEAM, DATE, SHIFT, SHIFT_START, SHIFT_END, PAID_H)
BREAK_KIND = "kind"
BREAK_COLUMNS = (AGENT_ID, SHIFT_START, SHIFT_END, BREAK_KIND)
QUEUE_OR_GROUP = "queue_or_group"
FORECAST_VOLUME = "forecast_volume"
SCHEDULED = "scheduled"
COVERAGE_COLUMNS = (INTERVAL_START, QUEUE_OR_GROUP, FORECAST_VOLUME, REQUIRED, SCHEDULED, SERVICE_LEVEL)

# timestamp text format used in every CSV we read or write
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M"
DATE_FORMAT = "%Y-%m-%d"
