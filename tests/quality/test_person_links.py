"""Each person's page links to their Patenschaften and to the partner; the Patenschaft's
page links to both people."""

from typing import Any

from flask import Flask

from tests.conftest import login


def test_person_pages_and_the_patenschaft_link_to_each_other(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    a = two_agencies["a"]
    client = app.test_client()
    assert login(client, a["coordinator"]).status_code == 302
    v, n, m = a["volunteer"], a["newcomer"], a["match"]
    volunteer_page = client.get(f"/volunteers/{v.id}").get_data(as_text=True)
    assert f'href="/patenschaften/{m.id}"' in volunteer_page
    assert f'href="/newcomers/{n.id}"' in volunteer_page
    newcomer_page = client.get(f"/newcomers/{n.id}").get_data(as_text=True)
    assert f'href="/patenschaften/{m.id}"' in newcomer_page
    assert f'href="/volunteers/{v.id}"' in newcomer_page
    patenschaft = client.get(f"/patenschaften/{m.id}").get_data(as_text=True)
    assert (
        f'href="/volunteers/{v.id}"' in patenschaft and f'href="/newcomers/{n.id}"' in patenschaft
    )
