"""The words of the notes the engine writes in a record's history, put into words in
the reader's language when read (runtime/audit_notes.py): {what}, {entity},
{approval}… are definitions' labels (merged into i18n.MESSAGES)."""

from __future__ import annotations

AUDIT_NOTE_MESSAGES: dict[str, dict[str, str]] = {
    "note_named": {"en": "{what}", "zh": "{what}"},
    "note_said": {"en": "{what}: {comment}", "zh": "{what}：{comment}"},
    "note_step": {"en": "{approval}, {step}", "zh": "{approval}，{step}"},
    "note_fired": {"en": "{transition} ({cause})", "zh": "{transition}（{cause}）"},
    "note_record": {"en": "{entity} #{id}", "zh": "{entity} #{id}"},
    "note_records": {"en": "{entity} ({count})", "zh": "{count} 条{entity}"},
    "note_cascade": {"en": "cascade from {cause}", "zh": "随{cause} 级联删除"},
    "note_cleared": {"en": "cleared by {cause}", "zh": "因删除{cause} 而清空"},
    "note_restored_with": {"en": "with {cause}", "zh": "随{cause} 一并恢复"},
    "note_merged_into": {"en": "merged into {entity} #{id}", "zh": "已合并到{entity} #{id}"},
    "note_merged": {"en": "Merged {ids} into this record.", "zh": "已将 {ids} 合并到本记录。"},
}
