"""``make bench``: our lookup endpoint next to a bare Flask baseline, in one run."""
