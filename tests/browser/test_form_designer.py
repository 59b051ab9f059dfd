"""The form designer in Chromium: an administrator drags a field to another section,
adds a custom field in place and saves; a salesperson sees both after a reload."""

from __future__ import annotations

import os

PASSWORD = "correct horse battery"
SHOTS = os.environ.get("METACRM_SCREENSHOTS")  # a folder: pictures of the page (docs/screenshots)


def drag(page, card: str, target: str) -> None:  # type: ignore[no-untyped-def]
    """A pointer drag of ``card`` (by its head) onto the first third of ``target`` (it
    goes before it; at the very middle Sortable cannot tell before from after)."""
    page.locator(card).scroll_into_view_if_needed()
    source = page.locator(card).locator(".dcard-head").bounding_box()
    goal = page.locator(target).bounding_box()
    x, y = source["x"] + 10, source["y"] + 8
    to_x, to_y = goal["x"] + goal["width"] / 3, goal["y"] + goal["height"] / 3
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 21):  # moved in steps as a hand would
        page.mouse.move(x + (to_x - x) * step / 20, y + (to_y - y) * step / 20)
        page.wait_for_timeout(20)
    # The layout moves under the pointer as the card leaves its place: aim again.
    goal = page.locator(target).bounding_box()
    for step in range(1, 6):
        page.mouse.move(goal["x"] + goal["width"] / 3 - step, goal["y"] + goal["height"] / 3)
        page.wait_for_timeout(30)
    page.wait_for_timeout(150)
    page.mouse.up()
    page.wait_for_timeout(300)  # Sortable's animation


def sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def shoot(page, name: str, full: bool = False) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=full)


def section_fields(page, index: int) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator(f"ol.dtabs li.dsection >> nth={index}").locator(
        "li.dcard").evaluate_all("cards => cards.map(c => c.dataset.field)")


def test_an_admin_moves_and_adds_a_field_and_the_salesperson_sees_both(live_crm, page) -> None:
    crm, base = live_crm
    crm.post("/api/users", json={"username": "boss", "name": "Boss", "password": PASSWORD,
                                 "roles": ["admin"]})
    wang = crm.post("/api/users", json={"username": "wang.fang", "name": "王芳",
                                        "password": PASSWORD, "roles": ["salesperson"]}).json
    customer = crm.post("/api/customer", json={"name": "星河贸易", "owner": wang["id"]}).json
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, base, "boss")
    page.click("nav a:has-text('Form designer')")
    page.wait_for_selector(".designer")
    page.goto(f"{base}/customer/design")
    page.set_viewport_size({"width": 1280, "height": 1400})  # both sections in sight
    moving = "industry"
    assert moving in section_fields(page, 0)
    first_of_second = section_fields(page, 1)[0]
    drag(page, f"ol.dtabs li.dcard[data-field='{moving}']",
         f"ol.dtabs li.dcard[data-field='{first_of_second}']")
    assert moving in section_fields(page, 1) and moving not in section_fields(page, 0)
    second_now = section_fields(page, 1)

    # A condition is checked as it is typed, in the user's language.
    card = page.locator(f"li.dcard[data-field='{moving}']")
    card.locator("summary").click()
    card.locator("input[data-prop=visible_if]").fill("grad == 'A'")
    page.wait_for_selector(f"li.dcard[data-field='{moving}'] .for-visible_if .error")
    assert "unknown name 'grad'" in card.locator(".for-visible_if").inner_text()
    card.locator("input[data-prop=visible_if]").fill("")
    card.locator("summary").click()

    # A custom field, added in place: the table gains its column at once.
    page.click("details.add-field summary")
    page.fill("form.new-field input[name=name]", "wechat")
    page.fill("form.new-field input[name=label_en]", "WeChat")
    page.fill("form.new-field input[name=label_zh]", "微信")
    page.click("form.new-field button[type=submit]")
    page.wait_for_selector("ol.palette li.dcard[data-field='wechat']")
    page.locator("ol.dtabs li.dsection >> nth=0").scroll_into_view_if_needed()
    drag(page, "ol.palette li.dcard[data-field='wechat']",
         f"ol.dtabs li.dcard[data-field='{section_fields(page, 0)[0]}']")
    assert "wechat" in section_fields(page, 0)
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "form-designer")
    page.click("button[data-action=save]")
    page.wait_for_selector(".designer-result:has-text('Saved')")
    page.wait_for_load_state("load")
    page.wait_for_selector(".versions strong")
    versions = crm.get("/api/meta/forms/customer_main/versions").json["items"]
    assert len(versions) == 1 and versions[0]["current"]
    saved = crm.get("/api/meta/forms/customer_main").json["document"]
    sections = [[f if isinstance(f, str) else f["field"] for f in s["fields"]]
                for t in saved["tabs"] for s in t["sections"]]
    assert sections[1] == second_now and "wechat" in sections[0]

    # The salesperson, on the next page they open, sees both.
    page.context.clear_cookies()
    sign_in(page, base, "wang.fang")
    assert page.locator("nav a:has-text('Form designer')").count() == 0
    page.goto(f"{base}/customer/{customer['id']}/edit")
    second = page.locator("form.record-form .section >> nth=1")
    assert second.locator(f"[data-field='{moving}']").count() == 1
    assert page.locator("form.record-form [data-field='wechat'] label").inner_text() == "WeChat"
    assert page.goto(f"{base}/customer/design").status == 403


def test_the_designer_fits_a_phone_in_chinese(live_crm, page) -> None:
    crm, base = live_crm
    crm.post("/api/users", json={"username": "boss", "name": "Boss", "password": PASSWORD,
                                 "roles": ["admin"], "language": "zh"})
    sign_in(page, base, "boss")
    page.goto(f"{base}/customer/design")
    assert page.locator("h1").inner_text().startswith("表单设计器")
    card = page.locator("ol.dtabs li.dcard[data-field='grade']")
    card.locator("summary").click()
    card.locator("input[data-prop=required_if]").fill("annual_revenue")
    page.wait_for_selector("li.dcard[data-field='grade'] .for-required_if .error")
    assert "而这里需要真或假" in card.locator(".for-required_if").inner_text()
    # Without a pointer: Alt+arrows move a focused card between sections.
    page.focus("ol.dtabs li.dcard[data-field='stage']")
    page.keyboard.press("Alt+ArrowRight")
    assert "stage" in section_fields(page, 1) and "stage" not in section_fields(page, 0)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{base}/customer/design")
    shoot(page, "form-designer-phone")
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
