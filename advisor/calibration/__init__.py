"""Team calibration: reading measured benchmark results and fitting efficiency factors to them.

`formats` reads the files teams have (vLLM / SGLang / genai-perf / AIPerf results, calibration
CSV) into `measured.Run`s, which `measured.records` turns into calibration-schema rows;
`inputs` wires files and flags to rows and fit cases for `advisor calibrate` and
`advisor validate`; `fit` holds the objective and optimizer the shipped fit
(benchmarks/fit_calibration.py) uses; `team` fits one accelerator/engine to a team's runs;
`output` writes the calibration TOML. Must not import textual, rich or httpx.
"""
