"""``python -m quizgen`` runs the command line."""
import sys

from quizgen.cli import main

sys.exit(main())
