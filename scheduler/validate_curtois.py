"""Independent scorer for Curtois & Qu rosters: every hard constraint checked, the objective recomputed.

It shares no code with the model (:mod:`scheduler.optimize.curtois` and the rule engine): it reads only
the instance (:mod:`scheduler.io.curtois`) and walks the roster day by day, following the definitions
of schedulingbenchmarks.org/nrp (../shared/benchmarks/curtois-qu-nrp-1-24/README.md):

- the day before and the day after the horizon are off (successions, maximum run length);
- a run of working days or of days off that touches the horizon's first or last day is exempt from
  the minimum run length (the days outside the horizon are taken to continue it);
- a weekend (Saturday, Sunday; day 0 is a Monday) counts as worked when either day is worked.

:func:`check_curtois` returns a :class:`CurtoisScore`: ``violations`` (hard, each a readable line),
``penalties`` per soft rule and ``objective`` (their sum).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scheduler.io.curtois import CurtoisInstance, Roster


@dataclass
class CurtoisScore:
    objective: int
    penalties: dict[str, int] = field(default_factory=dict)   # on_requests, off_requests, cover_under, cover_over
    violations: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return not self.violations


def _runs(worked: list[bool], value: bool):
    """(first day, length) of every maximal run of days whose worked flag equals ``value``."""
    out = []
    start = None
    for d, w in enumerate(worked + [not value]):
        if w == value and start is None:
            start = d
        elif w != value and start is not None:
            out.append((start, d - start))
            start = None
    return out


def check_curtois(instance: CurtoisInstance, roster: Roster) -> CurtoisScore:
    """Check ``roster`` (one row of shift ids or None per employee, instance order) against ``instance``."""
    h = instance.horizon_days
    length = {s.id: s.length_min for s in instance.shifts}
    banned = {s.id: set(s.cannot_follow) for s in instance.shifts}
    bad: list[str] = []
    if len(roster) != len(instance.employees):
        return CurtoisScore(0, {}, [f"roster has {len(roster)} rows for {len(instance.employees)} employees"])
    for emp, row in zip(instance.employees, roster):
        who = emp.id
        if len(row) != h:
            bad.append(f"{who}: {len(row)} days in the roster, horizon is {h}")
            continue
        unknown = [s for s in row if s is not None and s not in length]
        if unknown:
            bad.append(f"{who}: unknown shift {unknown[0]!r}")
            continue
        # 2. successions (day before/after the horizon are off: nothing to check there)
        for d in range(h - 1):
            if row[d] is not None and row[d + 1] is not None and row[d + 1] in banned[row[d]]:
                bad.append(f"{who} day {d + 1}: {row[d + 1]} may not follow {row[d]} (day {d})")
        # 3. per-type maxima
        for sid in length:
            n = sum(1 for s in row if s == sid)
            limit = emp.max_shifts.get(sid)
            if limit is not None and n > limit:
                bad.append(f"{who}: {n} shifts {sid}, at most {limit}")
        # 4./5. total minutes
        total = sum(length[s] for s in row if s is not None)
        if total > emp.max_total_min:
            bad.append(f"{who}: {total} minutes worked, at most {emp.max_total_min}")
        if total < emp.min_total_min:
            bad.append(f"{who}: {total} minutes worked, at least {emp.min_total_min}")
        worked = [s is not None for s in row]
        # 6. longest run (outside the horizon is off)
        for start, n in _runs(worked, True):
            if n > emp.max_consecutive_shifts:
                bad.append(f"{who} days {start}-{start + n - 1}: {n} shifts in a row, at most {emp.max_consecutive_shifts}")
        # 7./8. shortest runs, the horizon's ends exempt
        for value, minimum, what in ((True, emp.min_consecutive_shifts, "shifts"),
                                     (False, emp.min_consecutive_days_off, "days off")):
            for start, n in _runs(worked, value):
                if start == 0 or start + n == h:
                    continue
                if n < minimum:
                    bad.append(f"{who} days {start}-{start + n - 1}: {n} {what} in a row, at least {minimum}")
        # 9. weekends
        weekends = sum(1 for sat in range(5, h, 7) if worked[sat] or (sat + 1 < h and worked[sat + 1]))
        if weekends > emp.max_weekends:
            bad.append(f"{who}: {weekends} weekends worked, at most {emp.max_weekends}")
        # 10. fixed days off
        for d in sorted(emp.days_off):
            if worked[d]:
                bad.append(f"{who} day {d}: works {row[d]} on a fixed day off")

    index = {e.id: i for i, e in enumerate(instance.employees)}
    pen = {"on_requests": 0, "off_requests": 0, "cover_under": 0, "cover_over": 0}
    for r in instance.on_requests:
        row = roster[index[r.employee]]
        if r.day >= len(row) or row[r.day] != r.shift:
            pen["on_requests"] += r.weight
    for r in instance.off_requests:
        row = roster[index[r.employee]]
        if r.day < len(row) and row[r.day] == r.shift:
            pen["off_requests"] += r.weight
    for c in instance.cover:
        n = sum(1 for row in roster if c.day < len(row) and row[c.day] == c.shift)
        pen["cover_under"] += c.under_weight * max(0, c.requirement - n)
        pen["cover_over"] += c.over_weight * max(0, n - c.requirement)
    return CurtoisScore(sum(pen.values()), pen, bad)
