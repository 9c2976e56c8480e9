"""pytest, for the doctests of ``construct/``: without torch, those of the modules that need it are not collected
(``tests/test_flows.py`` says why when it skips)."""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("torch") else ["construct/flows/module.py", "construct/flows/api.py"]
