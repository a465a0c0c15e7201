"""The thumbnail size rule and the box filter's runs against Pillow itself."""

import imageops_reference as ref
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from imageops import thumbnail_size
from imageops.box import resize_vertical_first
from imageops.geometry import reduce_axis, resize_axis


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 3000), st.integers(1, 3000), st.sampled_from([1, 2, 7, 64, 255, 256, 1000]))
def test_thumbnail_size_matches_pillow(width, height, max_side):
    image = Image.new("1", (width, height))
    image.thumbnail((max_side, max_side))
    assert thumbnail_size(width, height, max_side) == image.size


def test_thumbnail_size_at_extreme_aspect_ratios():
    for width, height in [(1_000_000, 1), (1, 1_000_000), (40_000, 3), (3, 40_000), (257, 256), (256, 257)]:
        image = Image.new("1", (width, height))
        image.thumbnail((256, 256))
        assert thumbnail_size(width, height) == image.size
    assert thumbnail_size(200, 100) == (200, 100)  # never enlarged


def pillow_members(in_size: int, out_size: int) -> list[list[int]]:
    """Which output pixels each input pixel feeds in Pillow's resize(BOX), seen with one-hot columns."""
    members = []
    for x in range(in_size):
        image = Image.new("L", (1, in_size))
        image.putpixel((0, x), 255)
        out = image.resize((1, out_size), Image.Resampling.BOX).tobytes()
        members.append([j for j in range(out_size) if out[j]])
    return members


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 200), st.data())
def test_resize_axis_matches_pillow_weights(in_size, data):
    out_size = data.draw(st.integers(1, in_size))
    axis = resize_axis(in_size, out_size)
    assert [list(axis.members(x)) for x in range(in_size)] == pillow_members(in_size, out_size)
    assert [list(range(*run)) for run in axis.runs] == ref.box_members(in_size, out_size)


def test_resize_axis_has_ties_where_a_boundary_is_exact():
    axis = resize_axis(13, 6)  # boundary 3 * 13/6 = 6.5: pixel 6 counts for neither neighbour in Pillow
    assert not axis.is_partition and axis.irregular() == [6]
    assert pillow_members(13, 6)[6] == []
    assert reduce_axis(12, 4).is_partition


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 60), st.integers(2, 60), st.data())
def test_resize_pass_order_matches_pillow(width, height, data):
    """Where the two orders give different pixels, the installed Pillow's pick is the rule's."""
    out_width = data.draw(st.integers(1, width - 1))
    out_height = data.draw(st.integers(1, height - 1))
    image = Image.frombytes(
        "L", (width, height), bytes((x * 97 + y * 31) * 7 % 251 for y in range(height) for x in range(width))
    )
    size = (out_width, out_height)
    both = image.resize(size, Image.Resampling.BOX).tobytes()
    first_h = image.resize((out_width, height), Image.Resampling.BOX).resize(size, Image.Resampling.BOX).tobytes()
    first_v = image.resize((width, out_height), Image.Resampling.BOX).resize(size, Image.Resampling.BOX).tobytes()
    vertical_first = resize_vertical_first(resize_axis(width, out_width), resize_axis(height, out_height))
    assert both == (first_v if vertical_first else first_h)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 90), st.integers(2, 90), st.sampled_from([1, 3]), st.data())
def test_orders_differ_by_at_most_one(width, height, channels, data):
    """Without alpha, resize's two orders of passes never differ by more than 1 in a sample (both
    round an average twice), which is what lets images without alpha take the cheaper order."""
    out_width = data.draw(st.integers(1, width))
    out_height = data.draw(st.integers(1, height))
    pixels = data.draw(st.binary(min_size=width * height * channels, max_size=width * height * channels))
    first_v = ref.box_resize(pixels, width, height, channels, out_width, out_height, True)
    first_h = ref.box_resize(pixels, width, height, channels, out_width, out_height, False)
    assert max(abs(a - b) for a, b in zip(first_v, first_h, strict=True)) <= 1
