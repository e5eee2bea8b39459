"""A picture of the forecast: recent daily history and the forecast with its interval, per queue."""

from __future__ import annotations

import pandas as pd

from scheduler import columns as C


def plot_forecast(history: pd.DataFrame, forecast: pd.DataFrame, path: str, history_days: int = 56) -> None:
    """Daily totals: the last ``history_days`` of history and the forecast (mean, 10-90 % band of
    day sums of the interval quantiles, an upper bound on the daily band)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    queues = list(dict.fromkeys(forecast[C.QUEUE]))
    fig, axes = plt.subplots(len(queues), 1, figsize=(10, 2.6 * len(queues)), squeeze=False)
    start = forecast[C.DS].min().normalize()
    for ax, q in zip(axes[:, 0], queues):
        h = history[(history[C.QUEUE] == q) & (history[C.DS] < start) &
                    (history[C.DS] >= start - pd.Timedelta(days=history_days))]
        hd = h.groupby(h[C.DS].dt.normalize())[C.VOLUME].sum()
        f = forecast[forecast[C.QUEUE] == q]
        fd = f.groupby(f[C.DS].dt.normalize())[[C.VOLUME, C.VOLUME_LO, C.VOLUME_HI]].sum()
        ax.plot(hd.index, hd.to_numpy(), color="0.3", lw=1, label="history")
        ax.plot(fd.index, fd[C.VOLUME].to_numpy(), color="C0", lw=1.5, label=f"forecast ({f[C.MODEL].iat[0]})")
        ax.fill_between(fd.index, fd[C.VOLUME_LO].to_numpy(), fd[C.VOLUME_HI].to_numpy(), color="C0", alpha=0.2,
                        label="sum of 10-90 % interval quantiles")
        ax.set_title(q, fontsize=9)
        ax.set_ylabel("contacts / day", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    from scheduler.io.atomic import atomic_path

    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=110, format="png")
    finally:
        plt.close(fig)
