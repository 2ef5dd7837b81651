"""Admin alerts: a sweep, a listing surge, ... raised by the detectors, worked by admins."""
