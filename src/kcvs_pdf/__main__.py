"""Run the command-line interface: `python -m kcvs_pdf`."""

from .cli import main

main(prog_name="kcvs-pdf")
