from pyworkforce.utils.frames import results_to_dataframe
from pyworkforce.utils.grid import ParameterGrid
from pyworkforce.utils.validation import (
    check_in_range,
    check_positive_float,
    check_positive_integer,
)

__all__ = [
    "ParameterGrid",
    "results_to_dataframe",
    "check_positive_integer",
    "check_positive_float",
    "check_in_range",
]
