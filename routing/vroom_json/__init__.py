"""VROOM-compatible JSON: read VROOM's input into a ``Problem``, write a ``Solution`` as VROOM's output.

Existing VROOM users can switch to AJIB without rewriting their requests, and the same
request can be given to VROOM to compare. The supported subset and every difference are
listed in ``docs/vroom-json.md``. Input is checked strictly: an unknown key or a bad
value raises ``VroomInputError`` whose message starts with the JSON path
(``jobs[3].time_windows[0]: end 10 is before start 20``), because a silently ignored key
would be a silently different problem.

``request`` reads requests, ``answer`` writes (and reads back) answers, ``export`` turns
our own ``Problem`` into a request so VROOM can be run on it.
"""

from routing.vroom_json.answer import dumps, read_output, write_output
from routing.vroom_json.document import TaskRef, VroomDocument, VroomInputError
from routing.vroom_json.export import write_input
from routing.vroom_json.request import load_input, parse_input

__all__ = [
    "TaskRef",
    "VroomDocument",
    "VroomInputError",
    "dumps",
    "load_input",
    "parse_input",
    "read_output",
    "write_input",
    "write_output",
]
