"""The ``scheduler`` command (click): a thin layer that parses, calls the library, reports progress
and writes files. Library errors (``SchedulerError``) become one-line messages with exit code 1;
usage errors exit 2; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import functools
import logging
import sys

import click

from scheduler import __version__
from scheduler.errors import SchedulerError


class _State:
    debug = False
    quiet = False


STATE = _State()


def reports_errors(func):
    """Turn library errors into ``click.ClickException`` (exit 1) unless ``--debug`` is given."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except SchedulerError as exc:
            if STATE.debug:
                raise
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            raise click.Abort() from None

    return wrapper


def progress_echo(message: str) -> None:
    """One progress line on stderr (silenced by ``-q``)."""
    if not STATE.quiet:
        click.echo(message, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="scheduler")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line error messages.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output on stderr.")
@click.option("-v", "--verbose", is_flag=True, help="Log details (solver log, model choices) on stderr.")
def main(debug: bool, quiet: bool, verbose: bool) -> None:
    """Workforce planner for e-commerce customer-service centres.

    Forecast contacts, turn them into required agents, build a roster with CP-SAT,
    export/import it as Excel, simulate the service it gives, compare scenarios.
    """
    STATE.debug = debug
    STATE.quiet = quiet
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")


# Commands are added below, one block each (keep blocks small: parse, call one library function).
