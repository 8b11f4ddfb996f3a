"""python -m analytics …: see analytics.cli."""

from analytics.cli import main

raise SystemExit(main())
