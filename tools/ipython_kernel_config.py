# IPython kernel settings for the book build and `make lab` (installed into .venv/etc/ipython
# by the Makefile; IPython reads that folder of the environment it runs in).
#
# Figures at print resolution: matplotlib's inline backend saves PNGs at twice the figure's dpi
# ("retina") and records the size to show them at, so the website shows them at the same size
# (sharper on high-density screens) and the PDF (`make pdf`) prints them at about 200 ppi
# instead of about 100. Measured: the 28 figures of the site weigh 6.6 MB instead of 2.9 MB.
c = get_config()  # noqa: F821 (defined by IPython when it reads this file)
c.InlineBackend.figure_formats = {"retina"}
