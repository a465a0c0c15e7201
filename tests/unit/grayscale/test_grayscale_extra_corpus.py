"""An optional real-world corpus: set EXTRA_PNG_CORPUS to a folder of PNG files and every one
must convert to exactly Pillow's luma (gray and alpha), or be refused with InvalidImage when
Pillow cannot read it either. Without the variable there is nothing to collect."""

import io

import pytest
from grayscale_testdata import extra_corpus
from PIL import Image, UnidentifiedImageError

from grayscale import InvalidImage, convert


@pytest.mark.parametrize("path", extra_corpus(), ids=lambda p: p.name)
def test_extra_corpus_image_matches_pillow(path):
    data = path.read_bytes()
    try:
        source = Image.open(io.BytesIO(data))
        source.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        with pytest.raises(InvalidImage):
            convert(data)
        return
    if source.format != "PNG" or source.mode not in ("RGB", "RGBA", "P", "L", "LA", "1"):
        pytest.skip(f"{source.format} {source.mode}: Pillow's convert('L') is no oracle for it")
    output = Image.open(io.BytesIO(convert(data)))
    assert output.size == source.size
    gray = output.getchannel(0).tobytes()
    assert gray == source.convert("L").tobytes()
    if output.mode == "LA":
        assert output.getchannel(1).tobytes() == source.convert("RGBA").getchannel("A").tobytes()
