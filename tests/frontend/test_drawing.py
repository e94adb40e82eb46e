"""How the charts are drawn (frontend/drawing.py), where the picture could go wrong without a page noticing."""

from __future__ import annotations

from matplotlib.colors import to_hex

from frontend import drawing

NAN = float("nan")


def test_the_heat_map_paints_each_scored_cell_in_its_bands_shade_and_leaves_the_rest_unpainted() -> None:
    """One path per shade: 0 is the lightest, 5 the fourth band (5–6), 10 the darkest; no score, no paint."""
    cells = [[0, NAN], [5, 10]]

    collection = drawing._cells_by_shade([0.0, 1.0, 2.0], cells, edge_colour=None)

    unscored, *scored = collection.get_facecolors()
    assert unscored[3] == 0  # no fill, so the hatch under it shows
    assert [to_hex(colour) for colour in scored] == [drawing.PAIN_SHADES[i] for i in (0, 3, 5)]
    boxes = [path.get_extents().bounds for path in collection.get_paths()]
    # (left, bottom, width, height): row 0 is the first part of day, column 0 the first date.
    assert boxes == [(1.0, 0.0, 1.0, 1.0), (0.0, 0.0, 1.0, 1.0), (0.0, 1.0, 1.0, 1.0), (1.0, 1.0, 1.0, 1.0)]


def test_the_heat_maps_white_outlines_go_round_unscored_cells_too() -> None:
    """A month's map separates its days with white lines, over the hatch of the unscored cells as well."""
    collection = drawing._cells_by_shade([0.0, 1.0, 2.0], [[NAN, 2]], edge_colour="white")

    assert len(collection.get_paths()) == 2
    assert collection.get_facecolors()[0][3] == 0  # the unscored cell: no fill, so the hatch shows
    assert {to_hex(colour) for colour in collection.get_edgecolors()} == {"#ffffff"}
    assert to_hex(collection.get_facecolors()[1]) == drawing.PAIN_SHADES[1]  # 2 is in the 1–2 band
