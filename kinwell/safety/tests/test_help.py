import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from kinwell.safety.crisis_lines import DATA_FILE, crisis_lines, load

pytestmark = pytest.mark.django_db


def test_data_file_covers_at_least_twenty_countries_each_with_a_source():
    lines = crisis_lines()
    assert len(lines.countries) >= 20
    for country in lines.countries.values():
        assert country.lines
        for line in country.lines:
            assert line.source.startswith("https://")
            assert line.phone or line.text or line.chat_url
    assert lines.international.lines


def test_anonymous_visitor_sees_a_country_picker_and_international_lines(client):
    html = client.get(reverse("safety:help")).content.decode()
    assert 'id="country-picker"' in html
    assert "Find A Helpline" in html


def test_member_country_is_shown_first(member_client, member):
    member.country = "GB"
    member.save()
    html = member_client.get(reverse("safety:help")).content.decode()
    assert "In United Kingdom" in html
    assert 'href="tel:116123"' in html
    assert 'href="tel:999"' in html


def test_picker_overrides_profile_country(member_client):
    html = member_client.get(reverse("safety:help"), {"country": "us"}).content.decode()
    assert "In United States" in html
    assert 'href="tel:988"' in html


def test_browser_language_region_guesses_the_country(client):
    html = client.get(reverse("safety:help"), HTTP_ACCEPT_LANGUAGE="en-AU,en;q=0.8").content
    assert "In Australia" in html.decode()


def test_unknown_country_says_so_and_still_helps(client):
    response = client.get(reverse("safety:help"), {"country": "XX"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "do not have lines for that country" in html
    assert "Find A Helpline" in html


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["countries"][0].pop("lines"), "no lines"),
        (lambda d: d["countries"][0]["lines"][0].update(source="http://x"), "https"),
        (lambda d: d["countries"].append(dict(d["countries"][0])), "appears twice"),
        (lambda d: d.pop("international"), "international"),
    ],
)
def test_a_broken_file_fails_loudly_with_its_name(tmp_path, mutate, message):
    data = json.loads(DATA_FILE.read_text())
    mutate(data)
    bad = tmp_path / "crisis_lines.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(ImproperlyConfigured) as error:
        load(bad)
    assert str(bad) in str(error.value)
    assert message in str(error.value)
