"""How a build runs: plan, notebook kernels, cache, manifest, atomic publishing and verification."""
