"""Where data enters: codebooks, crosswalks, reading and validating raw exports, filters, and the synthetic sample."""
