"""Where a chart is drawn: the house style, fonts and deterministic SVG."""
