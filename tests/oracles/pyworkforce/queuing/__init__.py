from pyworkforce.queuing.abandonment import ErlangA, MultiErlangA
from pyworkforce.queuing.erlang import ErlangC, MultiErlangC
from pyworkforce.queuing.erlang_b import ErlangB, MultiErlangB

__all__ = ["ErlangC", "MultiErlangC", "ErlangA", "MultiErlangA", "ErlangB", "MultiErlangB"]
