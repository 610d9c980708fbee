"""``python -m detector.cli``: the ``dredge`` command."""

from detector.cli import main

main()
