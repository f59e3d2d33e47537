import pytest

from dadkhah.core.confidentiality import Level, can_see, parse_level


def test_levels_are_ordered():
    assert Level.PUBLIC < Level.INTERNAL < Level.RESTRICTED < Level.PROTECTED
    assert can_see(Level.INTERNAL, Level.PUBLIC)
    assert not can_see(Level.INTERNAL, Level.RESTRICTED)


@pytest.mark.parametrize(
    "text,level",
    [
        ("public", Level.PUBLIC),
        (" Protected ", Level.PROTECTED),
        ("2", Level.RESTRICTED),
        (1, Level.INTERNAL),
    ],
)
def test_parse_level(text, level):
    assert parse_level(text) is level


def test_parse_level_names_the_choices():
    with pytest.raises(
        ValueError,
        match="unknown confidentiality level 'secret'; use one of: public, internal, restricted, protected",
    ):
        parse_level("secret")
