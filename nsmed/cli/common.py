"""Shared CLI plumbing: user errors become one red line on stderr and exit code 2."""

from __future__ import annotations

import functools

import typer


def user_errors(fn):
    """Decorator: NsmedError -> one-line message, exit 2; Ctrl-C -> exit 130 with a note."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from nsmed.errors import NsmedError

        try:
            return fn(*args, **kwargs)
        except NsmedError as e:
            typer.secho(f"error: {e}", err=True, fg="red")
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            typer.secho("interrupted: pairs already written stay in the store (status: incomplete)", err=True)
            raise typer.Exit(130) from None

    return wrapper
