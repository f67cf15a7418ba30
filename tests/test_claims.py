"""gdlab.claims: each record asserts first; the summary lists exactly what was asserted."""

import pytest

from gdlab.claims import ClaimFailed, Claims


def test_each_kind_of_claim_records_when_true():
    claims = Claims()
    claims.holds("every step decreases f", [True, True])
    claims.below("forms agree", 3e-16, 1e-12)
    claims.above("SGD gap is smaller by", 1500.0, 1000.0)
    claims.between("slope", -1.004, -1.05, -0.95)
    claims.close("bound over measured", 6.4, 6.3, rtol=0.05)
    assert [row[0] for row in claims.rows()] == [
        "every step decreases f",
        "forms agree",
        "SGD gap is smaller by",
        "slope",
        "bound over measured",
    ]
    assert claims.rows()[3] == ("slope", "-1", "in [-1.05, -0.95]")


@pytest.mark.parametrize(
    "record",
    [
        lambda c: c.holds("all true", [True, False]),
        lambda c: c.below("small", 1e-11, 1e-12),
        lambda c: c.above("large", 999.0, 1000.0),
        lambda c: c.between("in range", -0.9, -1.05, -0.95),
        lambda c: c.between("in range", -1.1, -1.05, -0.95),
        lambda c: c.close("about 6.3", 7.0, 6.3, rtol=0.05),
        lambda c: c.close("about 6.3", 5.9, 6.3, rtol=0.05),
    ],
)
def test_a_false_claim_raises_naming_it_and_is_not_listed(record):
    claims = Claims()
    with pytest.raises(ClaimFailed, match="claim false"):
        record(claims)
    assert len(claims) == 0


def test_bad_arguments_are_named():
    claims = Claims()
    with pytest.raises(ValueError, match="measured must be a real number, got 'x'"):
        claims.below("s", "x", 1.0)
    with pytest.raises(ValueError, match="low must not exceed high"):
        claims.between("s", 0.0, 1.0, -1.0)
    with pytest.raises(ValueError, match="statement must be a non-empty string"):
        claims.holds("", True)
    with pytest.raises(ValueError, match="no claims were recorded"):
        claims.summary_html()


def test_summary_escapes_html_and_keeps_math():
    claims = Claims()
    claims.below("$\\|v_t - u_t\\| < 10^{-12}$ <b>", 1e-15, 1e-12)
    text = claims.summary_html()
    assert text.startswith('<details class="gdlab-claims"><summary>How this page is checked')
    math = '<span class="math notranslate nohighlight">\\(\\|v_t - u_t\\| &lt; 10^{-12}\\)</span>'
    assert math + " &lt;b&gt;" in text
    assert "$" not in text  # raw dollars are not typeset by the site's MathJax
    assert "(1 claim, all asserted" in text
    assert '<th scope="col">measured</th>' in text


def test_summary_shows_code_and_several_math_pieces():
    claims = Claims()
    claims.holds("`Cosine(1, T)` matches $a$ and $b < c$", True)
    text = claims.summary_html()
    assert "<code>Cosine(1, T)</code> matches " in text
    assert text.count('<span class="math notranslate nohighlight">') == 2
    assert "\\(b &lt; c\\)" in text


def test_close_shows_a_small_tolerance_without_rounding_it_to_zero():
    claims = Claims()
    claims.close("about 3.16", 3.1623, 3.16227766, rtol=1e-4)
    claims.close("about 2/3", 0.674, 2 / 3, rtol=0.03)
    assert [criterion for _, _, criterion in claims.rows()] == [
        "3.16 within 0.01%",
        "0.667 within 3%",
    ]
