"""`walkthrough`: one patient from Bronze to Gold, rendered in the terminal."""

from __future__ import annotations

import click

from scribe_lakehouse.cli_base import State, common


@click.command()
@click.option(
    "--patient-id",
    default=None,
    help="Patient to follow (default: the patient of the Gold encounter that shows the most).",
)
@click.option(
    "--markdown", "as_markdown", is_flag=True, help="Print the raw Markdown instead of rendering it."
)
@common
def walkthrough(state: State, patient_id: str | None, as_markdown: bool) -> None:
    """Follow one patient from Bronze to Gold: resources, parsed rows, Silver rows, the Gold card."""
    from scribe_lakehouse.cli_render import console
    from scribe_lakehouse.explore.walkthrough import walkthrough as run_walkthrough

    result = run_walkthrough(state.root, patient_id=patient_id)
    if state.as_json:
        state.emit(result)
    elif as_markdown:
        click.echo(result.to_markdown(), nl=False)
    else:
        from rich.markdown import Markdown

        console().print(Markdown(result.to_markdown()))
