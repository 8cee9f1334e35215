"""`python -m flintt_pipeline.cli`."""

from flintt_pipeline.cli import main

main()
