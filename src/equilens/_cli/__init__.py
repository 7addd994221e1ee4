"""equilens._cli."""
