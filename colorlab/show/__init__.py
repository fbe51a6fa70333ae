"""Pictures for the notebooks: figures (matplotlib) and live demos (ipywidgets).

- :mod:`colorlab.show.images` — image grids, colorizers side by side, channels with their scale;
- :mod:`colorlab.show.ab_plane` — the ab plane: gamut, the 313 bins, ab histograms, priors;
- :mod:`colorlab.show.widgets` — the interactive demos, one module per widget.

The figure helpers are re-exported here; ``from colorlab import viz`` gives this module, so
``viz.show_images(…)`` and ``viz.plot_bins(…)`` read as before.
"""
from colorlab.show.ab_plane import (AB_LIM, OUT_OF_GAMUT, ab_colors, ab_hist2d, ab_histogram,
                                    ab_scatter, gamut_image, gamut_outline, gamut_slice,
                                    plot_bins, prior_map)
from colorlab.show.images import channel_cmap, compare_grid, show_channels, show_images, to_hwc

__all__ = ["AB_LIM", "OUT_OF_GAMUT", "ab_colors", "ab_hist2d", "ab_histogram", "ab_scatter",
           "channel_cmap", "compare_grid", "gamut_image", "gamut_outline", "gamut_slice",
           "plot_bins", "prior_map", "show_channels", "show_images", "to_hwc"]
