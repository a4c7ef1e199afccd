"""`docs`: regenerate docs/DATA_DICTIONARY.md and the contract JSON Schema; `--check` only compares."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from scribe_lakehouse.cli_base import State, common


@click.command()
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when a generated file is stale.")
@click.option(
    "--repo",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Project checkout to write into (default: the checkout holding the current folder).",
)
@common
def docs(state: State, check: bool, repo: Path | None) -> None:
    """Regenerate the data dictionary and the Gold contract's JSON Schema from the registry."""
    from scribe_lakehouse import docs_gen
    from scribe_lakehouse.cli_render import console
    from scribe_lakehouse.errors import ConfigError

    repo_root = repo if repo is not None else docs_gen.find_repo_root(Path.cwd())
    if repo_root is None:
        raise ConfigError(
            "not inside a scribe-lakehouse checkout: run from the project folder or pass --repo"
        )
    statuses = docs_gen.check(repo_root) if check else docs_gen.regenerate(repo_root)
    stale = [s.path for s in statuses if not s.current]
    if state.as_json:
        state.emit({"check": check, "stale": stale, "files": statuses})
    else:
        for s in statuses:
            if check:
                word = "current" if s.current else "[red]STALE[/red] (run `scribe-lakehouse docs`)"
            else:
                word = "regenerated" if s.written else "current"
            console().print(f"{s.path}: {word}")
    if check and stale:
        sys.exit(1)
