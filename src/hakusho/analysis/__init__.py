"""Where a chapter is computed: shares, comparisons and their tests, disclosure rules, figures, chapters and crosses."""
