"""gdlab.plotting: helpers return their axes, frame the data, and reject wrong shapes."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gdlab import plotting  # noqa: E402


class Bowl:
    dim = 2
    minimizer = np.array([1.0, -2.0])

    def value(self, w):
        return float(0.5 * np.sum((w - self.minimizer) ** 2 * np.array([1.0, 10.0])))


def test_plot_range_covers_points_and_ignores_non_finite():
    points = np.array([[0.0, 0.0], [2.0, -1.0], [np.inf, np.nan]])
    xlim, ylim = plotting.plot_range(points, margin=0.1)
    assert xlim[0] < 0.0 < 2.0 < xlim[1]
    assert ylim[0] < -1.0 < 0.0 < ylim[1]


def test_contours_with_paths_returns_axes_framing_the_paths():
    path = np.array([[-3.0, 4.0], [0.0, 0.0], [1.0, -2.0]])
    ax = plotting.contours_with_paths(Bowl(), [path], labels=["path"], resolution=40)
    x_low, x_high = ax.get_xlim()
    assert x_low < -3.0 and x_high > 1.0
    assert len(ax.collections) >= 1  # the contour set
    plt.close(ax.figure)


def test_suboptimality_masks_non_positive_and_non_finite_gaps():
    fig, ax = plt.subplots()
    returned = plotting.suboptimality(np.array([1.0, 0.1, 0.0, np.inf]), ax=ax)
    assert returned is ax
    y = ax.lines[0].get_ydata()
    assert np.isnan(y[2]) and np.isnan(y[3]) and y[1] == pytest.approx(0.1)
    plt.close(fig)


def test_rate_line_is_geometric():
    fig, ax = plt.subplots()
    plotting.rate_line(0.5, 4, start=2.0, ax=ax)
    assert np.allclose(ax.lines[0].get_ydata(), 2.0 * 0.5 ** np.arange(5))
    plt.close(fig)


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match="points"):
        plotting.trajectory(np.zeros((3, 3)))

    class Cube:
        dim = 3

    with pytest.raises(ValueError, match="2-D"):
        plotting.contours(Cube())


# -- colour and line styles: series differ without colour, and the colours survive CVD --------

# Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear RGB.
CVD = {
    "protanopia": [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ],
    "deuteranopia": [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ],
    "tritanopia": [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ],
}


def _lab(color, matrix):
    """CIELAB (D65) of an sRGB colour as seen through a CVD simulation matrix."""
    srgb = np.asarray(matplotlib.colors.to_rgb(color))
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    linear = np.clip(np.asarray(matrix) @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    t = xyz @ linear / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _closest_pair(colors):
    """Smallest CIE76 colour difference between two of ``colors``, per simulated deficiency."""
    out = {}
    for name, matrix in [("normal", np.eye(3)), *CVD.items()]:
        labs = [_lab(c, matrix) for c in colors]
        out[name] = min(
            np.linalg.norm(labs[i] - labs[j])
            for i in range(len(labs))
            for j in range(i + 1, len(labs))
        )
    return out


def test_palette_stays_distinguishable_with_colour_vision_deficiencies():
    # Measured: Okabe-Ito's 8 colours keep a CIE76 difference >= 16 under each simulation;
    # matplotlib's default tab10 drops to 4.6 (orange against green, protanopia).
    assert min(_closest_pair(plotting.PALETTE).values()) > 12
    tab10 = [f"C{k}" for k in range(8)]
    assert _closest_pair(tab10)["protanopia"] < 12  # the check can fail: tab10 does


def test_series_on_one_axes_differ_in_line_style_and_marker_not_only_colour():
    fig, ax = plt.subplots()
    for k in range(3):
        plotting.suboptimality(np.geomspace(1, 1e-6, 50) * (k + 1), ax=ax, label=f"run {k}")
    lines = ax.get_lines()
    assert len(lines) == 3
    assert len({str(line.get_linestyle()) for line in lines}) == 3
    assert len({line.get_marker() for line in lines}) == 3
    assert [line.get_color() for line in lines] == list(plotting.PALETTE[:3])
    assert lines[0].get_markevery() == 5  # a marker every tenth of a long curve
    plt.close(fig)
    fig, ax = plt.subplots()
    path = np.array([[1.0, 1.0], [0.5, 0.2], [0.1, 0.0]])
    plotting.trajectory(path, ax=ax, color="tab:red")  # the page's colour wins
    plotting.trajectory(path / 2, ax=ax)
    first, _, second, _ = ax.get_lines()  # each path and its start marker
    assert first.get_color() == "tab:red"
    assert (first.get_marker(), first.get_linestyle()) != (
        second.get_marker(),
        second.get_linestyle(),
    )
    plt.close(fig)


def test_style_gives_matplotlibs_cycle_the_same_series_styles():
    with plt.style.context(plotting.style()):
        fig, ax = plt.subplots()
        a = ax.plot([0, 1], [0, 1])[0]
        b = ax.plot([0, 1], [1, 0])[0]
    assert matplotlib.colors.same_color(a.get_color(), plotting.PALETTE[0])
    assert a.get_linestyle() != b.get_linestyle() and a.get_marker() != b.get_marker()
    plt.close(fig)
    for bad in (-1, 1.5, "0", True):
        with pytest.raises(ValueError, match="index"):
            plotting.series_style(bad)
