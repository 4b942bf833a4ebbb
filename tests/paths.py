"""Where tests find the repository's files and the shared seed (the tutorial's models and data)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
# The 2019 tutorial's files sit beside the checkout (../shared/seed); tests that need them skip without them.
SEED = REPO.parent / "shared" / "seed"
