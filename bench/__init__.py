"""`make bench`: how fast one citygate worker matches hits, against a plain loop and two workers."""
