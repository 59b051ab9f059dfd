"""The kanban board in Chromium: a card dragged to another column is the API's
change (a PATCH, or the workflow's transition), and a refused move puts the card
back with the engine's reason."""

from __future__ import annotations

PASSWORD = "correct horse battery"


def drag(page, card: str, column: str) -> None:  # type: ignore[no-untyped-def]
    source = page.locator(card).bounding_box()
    target = page.locator(column).bounding_box()
    page.mouse.move(source["x"] + 20, source["y"] + 10)
    page.mouse.down()
    for step in range(1, 11):  # a pointer drag, moved in steps as a hand would
        page.mouse.move(source["x"] + 20 + (target["x"] - source["x"]) * step / 10,
                        source["y"] + 10 + (target["y"] + 30 - source["y"]) * step / 10)
    page.mouse.up()


def test_moving_cards_changes_records_through_the_api(live_crm, page) -> None:
    crm, base = live_crm
    wang = crm.post("/api/users", json={"username": "wang.fang", "name": "王芳",
                                        "password": PASSWORD, "roles": ["salesperson"]}).json
    customer = crm.post("/api/customer", json={"name": "星河贸易", "grade": "A",
                                               "owner": wang["id"]}).json
    deal = crm.post("/api/opportunity", json={"name": "ERP 项目", "customer": customer["id"],
                                              "owner": wang["id"]}).json
    page.set_viewport_size({"width": 1600, "height": 900})
    page.goto(f"{base}/login")
    page.fill("#username", "wang.fang")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/customer/board?by=grade")
    drag(page, f"li.card[data-id='{customer['id']}']", "ol.cards[data-value='B']")
    page.wait_for_selector(f"ol.cards[data-value='B'] li.card[data-id='{customer['id']}']"
                           "[data-version='2']")
    assert crm.get(f"/api/customer/{customer['id']}").json["grade"] == "B"

    # The stage is the workflow's state: qualification to won has no transition.
    page.goto(f"{base}/opportunity/board")
    drag(page, f"li.card[data-id='{deal['id']}']", "ol.cards[data-value='won']")
    page.wait_for_selector(".board-error:not([hidden])")
    assert page.locator(f"ol.cards[data-value='qualify'] li.card[data-id='{deal['id']}']"
                        ).count() == 1
    assert crm.get(f"/api/opportunity/{deal['id']}").json["stage"] == "qualify"
    # One step along the workflow is its transition, fired as the API fires it.
    page.wait_for_timeout(500)  # the refused card's way back (Sortable's animation)
    drag(page, f"li.card[data-id='{deal['id']}']", "ol.cards[data-value='needs_analysis']")
    page.wait_for_selector(f"ol.cards[data-value='needs_analysis'] li.card[data-id='{deal['id']}']"
                           "[data-version='2']")
    assert crm.get(f"/api/opportunity/{deal['id']}").json["stage"] == "needs_analysis"

    # Without a mouse: the arrow keys move a focused card to the next column.
    page.goto(f"{base}/customer/board?by=grade")
    page.focus(f"li.card[data-id='{customer['id']}']")
    page.keyboard.press("ArrowRight")
    page.wait_for_selector(f"ol.cards[data-value='C'] li.card[data-id='{customer['id']}']"
                           "[data-version='3']")
    assert crm.get(f"/api/customer/{customer['id']}").json["grade"] == "C"
