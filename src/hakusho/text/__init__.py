"""Where text is written: numbers as words, generated headlines, editors' commentary and its lint, figure diffs."""
