"""gdlab: the helper library of the Chapter 4 companion.

One module per topic, imported explicitly (``from gdlab import optim``):

- :mod:`gdlab.problems`   test objectives with exact gradients and Hessians
- :mod:`gdlab.optim`      the chapter's optimizers and the ``run`` loop
- :mod:`gdlab.schedules`  learning-rate schedules (Section 4.5.1)

Importing the package has no side effects: no printing, no global state, no plotting style.
"""

__version__ = "0.1.0"
