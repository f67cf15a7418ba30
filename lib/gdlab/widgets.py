r"""The optimizer explorer: step GD, heavy ball, Nesterov and Newton on a 2-D quadratic.

:class:`Explorer` is an `anywidget <https://anywidget.dev>`_ widget. Its simulation and drawing
run in the browser (``static/explorer_core.js`` and ``static/explorer.js``), so every control
works on the static website with no kernel, and in JupyterLab or Notebook 7 with one. Python
holds the settings as traitlets, so a notebook can set and read them (``explorer.lr = 0.01``,
``explorer.t``), and adds what needs a kernel: :meth:`Explorer.use_step` draws the trajectory of
your own step function over the reference one.

The problem is Section 4.4's quadratic ``Quadratic([1, kappa], angle=angle)`` (minimiser at the
origin, :math:`L = \kappa`, :math:`\mu = 1`); the JavaScript updates mirror :mod:`gdlab.optim`
line by line and ``tests/test_widgets.py`` holds the two to 1e-9 relative.
"""

from __future__ import annotations

import inspect
import math
import re
from importlib import resources

import anywidget
import numpy as np
import traitlets

from gdlab import _checks, rates
from gdlab.optim import GD, HeavyBall, Nesterov, Newton, Optimizer, run
from gdlab.problems import Quadratic

__all__ = ["METHODS", "PRESETS", "Explorer", "explorer_esm", "preset_settings", "tuned_settings"]

#: The methods the explorer simulates, by their names in the widget.
METHODS = ("gd", "heavy_ball", "nesterov", "newton")

KAPPA_RANGE = (1.0, 1000.0)
BETA_MAX = 0.999
STEPS_RANGE = (1, 1000)
START_RANGE = 2.0
NEWTON_LR_MAX = 2.5
DAMPING_MAX = 1000.0

_CORE_IMPORT = re.compile(r'^import\s*\{[^}]*\}\s*from\s*"\./explorer_core\.js";\s*$', re.MULTILINE)


def _static(name: str) -> str:
    return resources.files("gdlab").joinpath("static", name).read_text(encoding="utf-8")


def explorer_esm() -> str:
    """The widget's ES module: ``explorer_core.js`` followed by ``explorer.js`` without its import.

    anywidget loads one module (from a ``blob:`` URL, where relative imports cannot resolve), so
    the core is inlined; ``explorer.js`` imports it under the same names when opened on its own.
    """
    view = _static("explorer.js")
    if len(_CORE_IMPORT.findall(view)) != 1:
        raise RuntimeError("explorer.js must import explorer_core.js exactly once")
    return _static("explorer_core.js") + "\n" + _CORE_IMPORT.sub("", view)


def tuned_settings(method: str, kappa: float) -> dict[str, float]:
    r"""The explorer's "tuned" settings for ``method`` on eigenvalues :math:`\{1, \kappa\}`.

    GD: ``lr = 2/(L + mu)`` (:func:`gdlab.rates.optimal_gd_lr`). Heavy ball: Polyak's ``lr`` and
    ``beta`` (:func:`gdlab.rates.optimal_heavy_ball`). Nesterov: the textbook ``lr = 1/L`` with
    ``beta = (sqrt(kappa) - 1)/(sqrt(kappa) + 1)``. Newton: ``newton_lr = 1``, ``damping = 0``.

    Parameters
    ----------
    method : str
        ``"gd"``, ``"heavy_ball"``, ``"nesterov"`` or ``"newton"``.
    kappa : float
        The condition number, >= 1.

    Returns
    -------
    dict of str to float
        The explorer settings to set (``lr``, ``beta``, or ``newton_lr``, ``damping``).
    """
    kappa = _checks.real_scalar("kappa", kappa)
    if kappa < 1:
        raise ValueError(f"kappa must be >= 1, got {kappa}")
    if method == "gd":
        return {"lr": rates.optimal_gd_lr(kappa, 1.0)}
    if method == "heavy_ball":
        lr, beta = rates.optimal_heavy_ball(kappa, 1.0)
        return {"lr": lr, "beta": beta}
    if method == "nesterov":
        root = math.sqrt(kappa)
        return {"lr": 1.0 / kappa, "beta": (root - 1.0) / (root + 1.0)}
    if method == "newton":
        return {"newton_lr": 1.0, "damping": 0.0}
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


#: Named starting views for embedding the explorer on a page: ``Explorer(preset="momentum")``.
#: Each gives the settings it fixes; ``"tuned"`` names the method whose tuned parameters
#: (:func:`tuned_settings`, for the final kappa) are added, and ``"lr_times_L"`` gives ``lr``
#: in units of :math:`1/L` (``lr = lr_times_L / kappa``, for the final kappa). What each is for:
#:
#: - ``"descent"`` (Section 4.1): GD at ``lr = 1/L`` on a mildly conditioned valley, every step
#:   a guaranteed decrease (Lemma 4.1.4).
#: - ``"newton"`` (Section 4.1.2): undamped Newton, which lands on the minimiser in one step.
#: - ``"momentum"`` (Section 4.3): the heavy ball at Polyak's tuned ``lr`` and ``beta``.
#: - ``"nesterov"`` (Section 4.3): Nesterov's method at ``lr = 1/L`` and its textbook ``beta``.
#: - ``"compare"`` (Sections 4.3 and 4.4): all four methods, at Nesterov's parameters.
#: - ``"zigzag"`` (Section 4.4): GD at ``lr = 1.8/L``, overshooting across a narrow valley.
PRESETS: dict[str, dict] = {
    "descent": {"method": "gd", "kappa": 10.0, "lr_times_L": 1.0, "steps": 40},
    "newton": {"method": "newton", "kappa": 100.0, "steps": 20, "tuned": "newton"},
    "momentum": {"method": "heavy_ball", "kappa": 100.0, "steps": 100, "tuned": "heavy_ball"},
    "nesterov": {"method": "nesterov", "kappa": 100.0, "steps": 100, "tuned": "nesterov"},
    "compare": {"method": "all", "kappa": 100.0, "steps": 150, "tuned": "all"},
    "zigzag": {
        "method": "gd",
        "kappa": 50.0,
        "angle": math.pi / 7,
        "lr_times_L": 1.8,
        "start": [-1.8, 1.2],
        "steps": 60,
    },
}


def preset_settings(preset: str, kappa: float | None = None) -> dict:
    """The settings of the named preset (see :data:`PRESETS`), with ``hash_key=preset``.

    With ``kappa`` given, it replaces the preset's, and the step size follows it: a tuned
    preset's ``lr``, ``beta`` (or Newton's ``newton_lr``, ``damping``) are tuned for that kappa,
    and an ``lr`` given in units of :math:`1/L` stays so.

    Parameters
    ----------
    preset : str
        A key of :data:`PRESETS`.
    kappa : float, optional
        Replaces the preset's condition number; within the explorer's range [1, 1000].

    Returns
    -------
    dict
        Keyword arguments for :class:`Explorer`.
    """
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {tuple(PRESETS)}, got {preset!r}")
    spec = PRESETS[preset]
    settings = {key: value for key, value in spec.items() if key not in ("tuned", "lr_times_L")}
    if kappa is not None:
        settings["kappa"] = _in_range("kappa", kappa, *KAPPA_RANGE)
    if "lr_times_L" in spec:
        settings["lr"] = spec["lr_times_L"] / settings["kappa"]  # L = kappa (mu = 1)
    tuned = spec.get("tuned")
    if tuned == "all":  # Nesterov's parameters, where GD and heavy ball converge too; Newton's
        settings.update(tuned_settings("nesterov", settings["kappa"]))
        settings.update(tuned_settings("newton", settings["kappa"]))
    elif tuned is not None:
        settings.update(tuned_settings(tuned, settings["kappa"]))
    return {**settings, "hash_key": preset}


def _in_range(name, value, low, high):
    value = _checks.real_scalar(name, value)
    if not low <= value <= high:
        raise ValueError(f"{name} must lie in [{low}, {high}], got {value}")
    return value


class Explorer(anywidget.AnyWidget):
    r"""Step the chapter's optimizers on a 2-D quadratic, in the browser.

    Every setting is a synced traitlet: set it from Python or with the widget's controls, read it
    back from Python. Out-of-range values raise ``ValueError``.

    Parameters
    ----------
    preset : str, optional
        Start from a named view (:data:`PRESETS`): ``"descent"``, ``"newton"``, ``"momentum"``,
        ``"nesterov"``, ``"compare"`` or ``"zigzag"``. Keyword arguments override its settings;
        the preset's step size follows the ``kappa`` you pass (see :func:`preset_settings`;
        unless you pass ``lr``/``beta`` too), and its ``hash_key`` is the preset's name unless
        you pass one.
    method : {"gd", "heavy_ball", "nesterov", "newton", "all"}
        The method drawn, or all four at once (default ``"gd"``).
    kappa : float
        Condition number :math:`\kappa \in [1, 1000]`: the Hessian has eigenvalues 1 and kappa.
    angle : float
        Rotation of the valley in radians, in :math:`[0, \pi]`: the flat eigenvector is
        :math:`(\cos\theta, \sin\theta)`.
    lr : float
        :math:`\eta > 0` for GD, heavy ball and Nesterov.
    beta : float
        :math:`\beta \in [0, 0.999]` for heavy ball and Nesterov.
    newton_lr, damping : float
        Newton's step size in :math:`(0, 2.5]` and damping in :math:`[0, 1000]`
        (:class:`gdlab.optim.Newton`).
    start : (float, float)
        :math:`w_0`, each coordinate in [-2, 2].
    steps : int
        Number of steps simulated, 1 to 1000.
    t : int
        The iteration shown, 0 to ``steps`` (the Step, Back, Play and Reset buttons move it).
    hash_key : str
        On the website, the settings are written to and read from the page address,
        ``#<hash_key>=method:gd,kappa:...``, so a link reproduces the view. Give each explorer
        on a page its own key; ``""`` turns this off. Ignored with a kernel.

    Notes
    -----
    When a page is built, every widget the notebook created is saved with it (for an explorer,
    its settings and its JavaScript, about 60 kB), shown or not, closed or not. On a page, create
    an ``Explorer`` only to display it; compute with :mod:`gdlab.optim` and :mod:`gdlab.rates`
    (the explorer's :meth:`trace` and :meth:`rate` are the same computations).

    To embed the explorer on a page, end a code cell with it (a preset, keyword arguments, or
    both); the saved page then works with no kernel. Two explorers on one page need different
    ``hash_key`` values (different presets have them).

    The explorer is usable with a keyboard and a screen reader (WCAG 2.1 AA; checked by
    ``tests/browser/test_accessibility.py``): every control is named as it is labelled on
    screen; a polite live region says the state after each step or change ("GD, step 12 of 100,
    f − f* = 3.2e-4, rate 0.985", ``announcement`` in ``static/explorer_core.js``); each plot is
    an image whose text alternative describes what it shows, and a button shows the last
    iterates as a table; Play jumps to the last step when the reader prefers reduced motion;
    methods differ by marker shape as well as by an Okabe-Ito colour.

    Examples
    --------
    >>> from gdlab.widgets import Explorer
    >>> explorer = Explorer(method="heavy_ball", kappa=100).tune()  # Polyak's lr and beta
    >>> trace = explorer.trace()  # the same run, by gdlab.optim
    >>> momentum = Explorer(preset="momentum")  # the same settings, by name (hash key "momentum")
    >>> wide = Explorer(preset="momentum", kappa=400, steps=200)  # tuned for kappa = 400
    """

    _esm = explorer_esm()
    _css = _static("explorer.css")

    method = traitlets.Unicode("gd").tag(sync=True)
    kappa = traitlets.Float(10.0).tag(sync=True)
    angle = traitlets.Float(math.pi / 6).tag(sync=True)
    lr = traitlets.Float(0.15).tag(sync=True)
    beta = traitlets.Float(0.5).tag(sync=True)
    damping = traitlets.Float(0.0).tag(sync=True)
    newton_lr = traitlets.Float(1.0).tag(sync=True)
    start = traitlets.List(traitlets.Float(), default_value=[-1.6, 1.1]).tag(sync=True)
    steps = traitlets.Int(100).tag(sync=True)
    t = traitlets.Int(0).tag(sync=True)
    hash_key = traitlets.Unicode("explorer").tag(sync=True)
    # Set by use_step: your step's iterates and the settings they were computed for.
    user_path = traitlets.List([]).tag(sync=True)
    user_settings = traitlets.Dict({}).tag(sync=True)
    user_label = traitlets.Unicode("").tag(sync=True)

    def __init__(self, preset: str | None = None, **kwargs):
        self._user_step = None
        setting_names = [name for name in Explorer.class_own_traits() if not name.startswith("_")]
        settable = {name for name in self.class_trait_names() if not name.startswith("_")}
        unknown = sorted(set(kwargs) - settable)
        if unknown:
            raise ValueError(
                f"unknown Explorer setting(s) {', '.join(unknown)} (got "
                f"{', '.join(f'{key}={kwargs[key]!r}' for key in unknown)}); "
                f"the settings are {', '.join(sorted(setting_names))}"
            )
        if preset is not None:
            settings = preset_settings(preset, kwargs.get("kappa"))
            kwargs = {**settings, **kwargs}
        super().__init__(**kwargs)
        self.observe(
            self._rerun_user_step,
            names=["kappa", "angle", "lr", "beta", "damping", "newton_lr", "start", "steps"],
        )

    # -- validation -------------------------------------------------------------------------------

    @traitlets.validate("method")
    def _check_method(self, proposal):
        if proposal.value not in (*METHODS, "all"):
            raise ValueError(f"method must be one of {(*METHODS, 'all')}, got {proposal.value!r}")
        return proposal.value

    @traitlets.validate("kappa")
    def _check_kappa(self, proposal):
        return _in_range("kappa", proposal.value, *KAPPA_RANGE)

    @traitlets.validate("angle")
    def _check_angle(self, proposal):
        return _in_range("angle", proposal.value, 0.0, math.pi)

    @traitlets.validate("lr")
    def _check_lr(self, proposal):
        return _checks.positive("lr", proposal.value)

    @traitlets.validate("beta")
    def _check_beta(self, proposal):
        return _in_range("beta", proposal.value, 0.0, BETA_MAX)

    @traitlets.validate("newton_lr")
    def _check_newton_lr(self, proposal):
        value = _checks.positive("newton_lr", proposal.value)
        return _in_range("newton_lr", value, 0.0, NEWTON_LR_MAX)

    @traitlets.validate("damping")
    def _check_damping(self, proposal):
        return _in_range("damping", proposal.value, 0.0, DAMPING_MAX)

    @traitlets.validate("start")
    def _check_start(self, proposal):
        start = _checks.vector("start", proposal.value, 2)
        for value in start:
            _in_range("start", float(value), -START_RANGE, START_RANGE)
        return [float(v) for v in start]

    @traitlets.validate("steps")
    def _check_steps(self, proposal):
        steps = _checks.positive_int("steps", proposal.value)
        return int(_in_range("steps", steps, *STEPS_RANGE))

    @traitlets.validate("t")
    def _check_t(self, proposal):
        return min(_checks.non_negative_int("t", proposal.value), self.steps)

    @traitlets.validate("hash_key")
    def _check_hash_key(self, proposal):
        if not re.fullmatch(r"[A-Za-z0-9_-]*", proposal.value):
            raise ValueError(f"hash_key must be letters, digits, _ or -, got {proposal.value!r}")
        return proposal.value

    @traitlets.observe("steps")
    def _clamp_t(self, change):
        if self.t > change["new"]:
            self.t = change["new"]

    # -- the same runs, in Python -----------------------------------------------------------------

    @property
    def problem(self) -> Quadratic:
        """The quadratic drawn: ``Quadratic([1, kappa], angle=angle)``."""
        return Quadratic([1.0, self.kappa], angle=self.angle)

    def optimizer(self, method: str | None = None) -> Optimizer:
        """The :mod:`gdlab.optim` optimizer of ``method`` (default: the one shown), as set.

        Parameters
        ----------
        method : str, optional
            One of ``"gd"``, ``"heavy_ball"``, ``"nesterov"``, ``"newton"``; default the one shown
            (the first with ``"all"``).

        Returns
        -------
        Optimizer
        """
        method = self._single_method(method)
        if method == "gd":
            return GD(lr=self.lr)
        if method == "heavy_ball":
            return HeavyBall(lr=self.lr, beta=self.beta)
        if method == "nesterov":
            return Nesterov(lr=self.lr, beta=self.beta)
        return Newton(lr=self.newton_lr, damping=self.damping)

    def trace(self, method: str | None = None):
        """The run the widget draws for ``method``, computed by :func:`gdlab.optim.run`.

        Parameters
        ----------
        method : str, optional
            One of ``"gd"``, ``"heavy_ball"``, ``"nesterov"``, ``"newton"``; default the one shown
            (the first with ``"all"``).

        Returns
        -------
        Trace
        """
        return run(self.optimizer(method), self.problem, self.start, self.steps)

    def rate(self, method: str | None = None) -> float:
        """The predicted per-step contraction (spectral radius) of ``method``, from gdlab.rates.

        Parameters
        ----------
        method : str, optional
            One of ``"gd"``, ``"heavy_ball"``, ``"nesterov"``, ``"newton"``; default the one shown
            (the first with ``"all"``).

        Returns
        -------
        float
        """
        method = self._single_method(method)
        eigenvalues = self.problem.eigenvalues
        if method == "gd":
            return rates.gd_rate(eigenvalues, self.lr)
        if method == "heavy_ball":
            return rates.heavy_ball_rate(eigenvalues, self.lr, self.beta)
        if method == "nesterov":
            return rates.nesterov_rate(eigenvalues, self.lr, self.beta)
        factors = 1.0 - self.newton_lr * eigenvalues / (eigenvalues + self.damping)
        return float(np.max(np.abs(factors)))

    def tune(self, method: str | None = None) -> Explorer:
        """Set the tuned settings of ``method`` (see :func:`tuned_settings`); returns ``self``.

        With ``method="all"`` shown, Nesterov's (GD and heavy ball converge there too; at heavy
        ball's tuned step GD diverges) and Newton's tuned settings are set.

        Parameters
        ----------
        method : str, optional
            The method to tune, default the one shown (``"all"`` tunes them together).

        Returns
        -------
        Explorer
            ``self``.
        """
        if method is None and self.method == "all":
            settings = {**tuned_settings("nesterov", self.kappa), **tuned_settings("newton", 1)}
        else:
            settings = tuned_settings(self._single_method(method), self.kappa)
        with self.hold_sync():
            for name, value in settings.items():
                setattr(self, name, value)
        return self

    def settings(self) -> dict:
        """The current settings as a plain dict."""
        names = ("method", "kappa", "angle", "lr", "beta", "damping", "newton_lr", "steps", "t")
        return {**{name: getattr(self, name) for name in names}, "start": list(self.start)}

    def _single_method(self, method):
        method = self.method if method is None else method
        if method not in METHODS:
            raise ValueError(
                f"method must be one of {METHODS} (the explorer shows {self.method!r}; pass one)"
                f", got {method!r}"
            )
        return method

    # -- your own step (needs a kernel) -----------------------------------------------------------

    def use_step(self, step, label: str = "your step") -> Explorer:
        """Draw the trajectory of your own step function over the reference one, with the gap.

        ``step(w, problem, ...)`` returns :math:`w_{t+1}` from :math:`w_t`. Besides ``w`` (a
        length-2 array) and ``problem`` (the :class:`~gdlab.problems.Quadratic` shown, with
        ``grad``, ``hess``, ``value``), it receives whichever of these keyword arguments it
        names: ``lr``, ``beta``, ``damping``, ``newton_lr`` (the explorer's current settings),
        ``t`` (the step number, from 1) and ``state`` (a dict kept across the steps of one run,
        for a velocity). It is re-run whenever a setting changes, so its trajectory follows the
        sliders; the gap is measured against the method shown (the first one with ``"all"``).

        This runs Python, so it needs a live kernel (JupyterLab, Notebook 7, Binder); on the
        static website the saved page has no kernel to call. Returns ``self``.

        Parameters
        ----------
        step : callable
            ``step(w, problem, **settings) -> w_next``, as described above.
        label : str, optional
            The legend label of its path (default ``"your step"``).

        Returns
        -------
        Explorer
            ``self``.
        """
        if not callable(step):
            raise ValueError(f"step must be callable as step(w, problem, ...), got {step!r}")
        parameters = inspect.signature(step).parameters
        accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        offered = ("lr", "beta", "damping", "newton_lr", "t", "state")
        names = offered if accepts_any else tuple(n for n in offered if n in parameters)
        self._user_step = (step, names)
        self.user_label = str(label)
        self._rerun_user_step()
        return self

    def clear_step(self) -> None:
        """Remove your step's trajectory."""
        self._user_step = None
        with self.hold_sync():
            self.user_path = []
            self.user_settings = {}
            self.user_label = ""

    def user_trace(self) -> np.ndarray:
        """Your step's iterates for the current settings, shape (count, 2).

        Returns
        -------
        ndarray, shape (count, 2)
        """
        if self._user_step is None:
            raise ValueError("no step function: call use_step(step) first")
        step, names = self._user_step
        problem = self.problem
        w = np.array(self.start, dtype=np.float64)
        state: dict = {}
        iterates = [w.copy()]
        with np.errstate(all="ignore"):
            for t in range(1, self.steps + 1):
                offered = {
                    "lr": self.lr,
                    "beta": self.beta,
                    "damping": self.damping,
                    "newton_lr": self.newton_lr,
                    "t": t,
                    "state": state,
                }
                w = np.asarray(step(w.copy(), problem, **{n: offered[n] for n in names}), float)
                if w.shape != (2,):
                    raise ValueError(f"step must return an array of shape (2,), got {w.shape}")
                # Stop where the widget's own runs stop: at the first non-finite or huge iterate.
                if not np.isfinite(w).all() or np.hypot(w[0], w[1]) > 1e6:
                    break
                iterates.append(w.copy())
        return np.array(iterates)

    def _rerun_user_step(self, change=None):
        if self._user_step is None:
            return
        path = self.user_trace()
        at = {
            name: getattr(self, name)
            for name in ("kappa", "angle", "lr", "beta", "damping", "newton_lr", "steps")
        }
        with self.hold_sync():
            self.user_path = path.tolist()
            self.user_settings = {**at, "start": list(self.start)}
