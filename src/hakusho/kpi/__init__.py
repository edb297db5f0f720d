"""Customer-success KPIs: the formulas, a ledger calculator and the benchmark against the survey."""
