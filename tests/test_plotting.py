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
