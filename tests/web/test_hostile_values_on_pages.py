"""Script and markup stored in any text a person can type (names, titles, long text,
JSON, addresses) stay inert text on every page that shows them: lists, records and
their 360° related lists, kanban cards, forms and their reference pickers, the
offers a picker loads, search and the history."""

from __future__ import annotations

from ..access.conftest import create

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"


def _inert(html: str) -> bool:
    return "<script>alert" not in html and "<img src=x" not in html and "<b>" not in html \
        and "<script>x" not in html and "onerror=alert" not in html.replace(ESCAPED, "")


def test_script_in_every_text_stays_text_on_every_page(crm, org):
    wang = org["wang"]
    customer = create(wang, "customer", name=SCRIPT, short_name="<b>星河</b>", address=SCRIPT,
                      description=SCRIPT, website='https://example.cn/?q="><script>x</script>',
                      grade="A")
    contact = create(wang, "contact", customer=customer, name=SCRIPT, position=SCRIPT,
                     notes=SCRIPT)
    create(wang, "activity", customer=customer, contact=contact, subject=SCRIPT,
           content=SCRIPT, next_step=SCRIPT)
    deal = create(wang, "opportunity", customer=customer, name=SCRIPT, needs=SCRIPT,
                  competitor=SCRIPT)
    pages = {
        "customer list": "/customer",
        "customer 360°": f"/customer/{customer}",
        "customer form": f"/customer/{customer}/edit",
        "board by grade": "/customer/board?by=grade",
        "opportunity board": "/opportunity/board",
        "opportunity": f"/opportunity/{deal}",
        "contact with its customer": f"/contact/{contact}",
        "contact form with a picker": f"/contact/{contact}/edit",
        "new contact for the customer": f"/contact/new?customer={customer}",
        "picker offers": "/customer/choices?q=script",
        "activity list": "/activity",
        "search": "/search?q=script",
    }
    for what, url in pages.items():
        response = wang.get(url)
        assert response.status_code == 200, (what, response.status_code)
        html = response.get_data(as_text=True)
        assert _inert(html), what
        assert "&lt;script&gt;" in html, what  # the value is there, as text
    for what in ("customer list", "customer 360°", "board by grade", "opportunity board"):
        assert ESCAPED in wang.get(pages[what]).get_data(as_text=True), what
    # The offers carry the title in an attribute, quoted and escaped.
    offers = wang.get(pages["picker offers"]).get_data(as_text=True)
    assert 'value="&lt;script&gt;alert(&#34;x&#34;)' in offers
