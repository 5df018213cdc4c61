"""Command line: parse, make one library call, print a short result.

Errors that innolab raises on purpose are printed in one or two lines (exit code 2); any other
exception is reported as an internal error. ``--debug`` shows the full traceback.
"""

from __future__ import annotations

import sys

import click

from . import __version__
from .errors import InnolabError

__all__ = ["main", "cli"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="innolab")
@click.option("--debug", is_flag=True, help="Show full tracebacks.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """innolab: assess national digital-innovation ecosystems."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@cli.group()
def data() -> None:
    """Import raw sources and build the processed panel."""


# --- commands are registered below, one section per area -----------------------------------
# Each section only parses options and makes one library call.

# --- data: import (innolab.sources) ----------------------------------------------------------

# --- data: demo, build (innolab.demo, innolab.store) -----------------------------------------

# --- score, list-methods (innolab.scoring) ---------------------------------------------------

# --- batch, publish (innolab.report) ---------------------------------------------------------



def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``innolab`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        rv = cli.main(args=args, prog_name="innolab", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except InnolabError as exc:
        if debug:
            raise
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except Exception as exc:  # an innolab bug, not a user error
        if debug:
            raise
        click.echo(
            f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
            err=True,
        )
        return 3
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
