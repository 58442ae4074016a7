"""``python -m nodeflow`` is the ``nodeflow`` command."""

from nodeflow.cli import main

raise SystemExit(main())
