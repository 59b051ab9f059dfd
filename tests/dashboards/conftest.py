"""The report tests' sales bundle with dashboards: a seller's (a number card, a report,
a list with a field hidden from sellers, the approval inbox) and a director's."""

from __future__ import annotations

from pathlib import Path

from ..reports.conftest import sales_bundle

SELLING = """
dashboard: selling
label: {en: My selling, zh: 我的销售}
roles: [seller]
widgets:
  - number: won_by_month
    measure: amount
    parameters: {period: this_month}
    title: {en: Won this month, zh: 本月成交}
  - report: won_by_month
    title: {en: Won by month, zh: 按月成交}
    span: 2
  - list: deal
    title: {en: Open deals, zh: 在跟商机}
    filters: {stage: open}
    columns: [name, amount, secret]
    sort: [-amount]
    limit: 3
    span: 2
  - approvals: pending
    title: {en: Waiting for me, zh: 待我审批}
"""
DIRECTING = """
dashboard: directing
label: {en: The team, zh: 团队}
roles: [director]
columns: 2
widgets:
  - number: won_by_month
    measure: deals
    title: {en: Deals won, zh: 成交数}
  - list: deal
    title: {en: All open deals, zh: 全部在跟商机}
    filters: {stage: open}
"""


def dashboard_bundle(root: Path, **files: str) -> Path:
    """The sales bundle with both dashboards and ``files`` added."""
    return sales_bundle(root, **{"dashboards/selling.yaml": SELLING,
                                 "dashboards/directing.yaml": DIRECTING, **files})
