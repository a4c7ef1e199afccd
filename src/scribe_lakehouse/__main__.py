"""The entry point (`python -m scribe_lakehouse` and the `scribe-lakehouse` script): the process settings
first, before numpy, Polars or an engine loads (runtime.tune_process), then the CLI."""

from scribe_lakehouse.runtime import tune_process


def main() -> None:
    tune_process()
    from scribe_lakehouse.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
