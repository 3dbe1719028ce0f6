"""pyworkforce's queuing models, vendored as a test oracle only (never imported by the app).

The files beside this one are verbatim copies from github.com/rodrigo-arenas/pyworkforce at commit
ca4892502d2d92cc996c9fde96293ff90b560426 (release 0.5.4; MIT licence, LICENSE here): base.py,
_version.py, utils/ and queuing/. The registry reachable from CI offers only pyworkforce 0.5.1, which
predates ErlangA, so the release that has it lives here. This __init__ is ours: upstream's imports the
rostering and scheduling solvers (ortools), which the queuing models do not need.
Tests put tests/oracles on sys.path and import pyworkforce.queuing.
"""
