"""fairaudit.adcheck: the pre-publication check of one job ad (orchestration: may load AutoRefine) and its result."""
