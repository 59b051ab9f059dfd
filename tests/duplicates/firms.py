"""The firms bundle the duplicate tests share: a credit code that blocks, a phone
and a similar name that warn, all cleaned first."""

from __future__ import annotations

FIRMS = {
    "bundle.yaml": """
        bundle: firms
        version: 1.0.0
        settings: {phone_region: CN}
        """,
    "entities/firm.yaml": """
        entity: firm
        title: name
        fields:
          name: {type: string, clean: [trim, nfkc, company_name]}
          phone: {type: phone, clean: [nfkc, phone]}
          code: {type: string, max_length: 18, clean: [uscc]}
          note: {type: string}
        duplicates:
          - {name: same_code, label: {en: Same credit code}, fields: [code], action: block}
          - {name: same_phone, label: {en: Same phone}, fields: [phone]}
          - {name: similar_name, label: {en: Similar name}, fuzzy: name, threshold: 85}
        """,
}
