"""`make bench`: seeded synthetic inputs in the real formats, each pipeline stage timed, and the
baselines a user would otherwise write, measured in the same run."""
