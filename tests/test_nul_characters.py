import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/api/v1/recommendations/?theme=%00", "/api/v1/examples/a%00b/", "/api/v1/areas/?q=%00"],
)
def test_a_nul_character_in_an_api_address_is_a_clear_400(client, path):
    response = client.get(path)

    assert response.status_code == 400
    assert "NUL character" in response.json()["detail"]


def test_a_nul_character_in_an_api_body_is_a_400_in_json(admin_client):
    response = admin_client.post(
        "/api/v1/references/", '{"title": "a\\u0000b"}', content_type="application/json"
    )

    assert response.status_code == 400
    assert "NUL character" in response.json()["detail"]
