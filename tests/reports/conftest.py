"""A small sales bundle for the report tests: deals of accounts, owned by users, and
a seller role that reads its own deals and may not see one field."""

from __future__ import annotations

from pathlib import Path

from ..conftest import write_bundle

ACCOUNT = """
entity: account
title: name
fields:
  name: {type: string, required: true}
  industry: {type: choice, options: [retail, energy, tech]}
  owner: {type: user}
owned_by: owner
"""
DEAL = """
entity: deal
title: name
fields:
  name: {type: string, required: true}
  stage: {type: choice, options: [open, won, lost]}
  source: {type: choice, options: [web, fair, referral]}
  amount: {type: money}
  probability: {type: integer}
  closed_on: {type: date}
  met_at: {type: datetime}
  account: {type: reference, to: account}
  owner: {type: user}
  secret: {type: string}
owned_by: owner
"""
SELLER = """
role: seller
permissions:
  deal: {operations: [read, create, update], scope: own, fields: {secret: hidden}}
  account: {operations: [read], scope: own}
"""
DIRECTOR = """
role: director
permissions:
  deal: {operations: all, scope: all}
  account: {operations: all, scope: all}
"""
WON_BY_MONTH = """
report: won_by_month
entity: deal
label: {en: Won deals by month, zh: 按月成交}
filters: {stage: won}
rows: {field: closed_on, bucket: month}
measures:
  - {name: deals, aggregate: count, label: {en: Deals, zh: 商机数}}
  - {name: amount, aggregate: sum, field: amount, label: {en: Amount, zh: 金额}}
parameters:
  period: {field: closed_on, default: all}
  owner: {field: owner}
presentation: bar
"""


def sales_bundle(root: Path, **files: str) -> Path:
    """The sales bundle with ``files`` added ({"reports/x.yaml": text})."""
    return write_bundle(root, {
        "entities/account.yaml": ACCOUNT, "entities/deal.yaml": DEAL,
        "roles/seller.yaml": SELLER, "roles/director.yaml": DIRECTOR,
        "reports/won_by_month.yaml": WON_BY_MONTH, **files})
