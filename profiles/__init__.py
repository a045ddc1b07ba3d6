"""Built-in profiles (models, workload presets, efficiency factors), shipped as `advisor.profiles`."""
