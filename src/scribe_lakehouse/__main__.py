from scribe_lakehouse.cli import main

main()
