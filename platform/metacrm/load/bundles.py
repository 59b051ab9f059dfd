"""Read bundle folders (and stored customizations) into per-bundle definitions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..build.dashboards import build_dashboard
from ..build.demo import DEMO_KIND, build_demo
from ..build.entities import (
    build_entity,
    build_entity_extension,
    build_manifest,
    build_optionset,
    build_optionset_extension,
)
from ..build.forms import build_form
from ..build.intake import build_intake
from ..build.reports import build_report
from ..build.roles import build_role, build_role_extension
from ..build.workflows import build_approval, build_workflow
from ..definitions import (
    ApprovalDef,
    BundleDefs,
    BundleManifest,
    DashboardDef,
    DemoDef,
    EntityDef,
    EntityExtension,
    FormDef,
    IntakeDef,
    Label,
    Location,
    OptionSetDef,
    OptionSetExtension,
    ReportDef,
    RoleDef,
    RoleExtension,
    WorkflowDef,
)
from ..definitions.catalog import CUSTOMIZATIONS_BUNDLE as CUSTOMIZATIONS_BUNDLE
from ..errors import APPROVAL_CHAIN, ErrorCollector, needs_on
from ..fieldtypes import FieldTypes, builtin_field_types
from .documents import NAMED_KINDS, Document, display_path, load_yaml
from .schema import MANIFEST, document_kind, validate_document

MANIFEST_FILE = "bundle.yaml"
# Where definitions live; the first key of each document says what it defines,
# the folder only keeps a bundle tidy (entities and option sets, roles, workflows
# and approval chains, form layouts, reports, intake sources of leads, dashboards).
DEFINITION_FOLDERS = ("entities", "roles", "workflows", "forms", "reports", "intake",
                      "dashboards")
# The organisation `metacrm serve --demo` creates (one `demo:` document).
DEMO_FOLDER = "demo"


def bundle_files(folder: str | Path) -> list[Path]:
    """The files ``read_bundle`` reads from ``folder``: what a cache of its definitions
    keys on (a bundle at a repository's root must not walk the virtualenv beside it)."""
    root = Path(folder)
    found = [root / MANIFEST_FILE]
    for folder_name in (*DEFINITION_FOLDERS, DEMO_FOLDER):
        found.extend(path for path in sorted((root / folder_name).rglob("*"))
                     if path.suffix in (".yaml", ".yml") and not path.is_dir())
    return found


def read_bundle(folder: str | Path, errors: ErrorCollector,
                types: FieldTypes | None = None) -> BundleDefs | None:
    root = Path(folder)
    manifest_path = root / MANIFEST_FILE
    if not manifest_path.is_file():
        errors.add(Location(display_path(root)), f"not a bundle: {MANIFEST_FILE} is missing "
                   "(a bundle is a folder with bundle.yaml and entities/)")
        return None
    docs = load_yaml(manifest_path, errors)
    if len(docs) != 1 or not validate_document(docs[0], MANIFEST, errors):
        if len(docs) > 1:
            errors.add(docs[1].at(), "bundle.yaml holds exactly one document")
        return None
    manifest = build_manifest(docs[0], str(root.resolve()))
    documents: list[Document] = []
    for folder_name in DEFINITION_FOLDERS:
        for path in sorted((root / folder_name).rglob("*")):
            # Anything named like a definition is read, and what cannot be (a broken
            # link, a loop of links, a FIFO) is an error rather than quietly skipped; a
            # folder named so is walked like any other.
            if path.suffix in (".yaml", ".yml") and not path.is_dir():
                documents.extend(load_yaml(path, errors))
    defs = build_bundle(manifest, documents, errors, types)
    demo = read_demo(root / DEMO_FOLDER, manifest.name, errors)
    return replace(defs, demo=demo) if demo is not None else defs


def read_demo(folder: Path, bundle: str, errors: ErrorCollector) -> DemoDef | None:
    """The bundle's demo organisation from the YAML files of ``folder``, if any."""
    found: list[DemoDef] = []
    for path in sorted(folder.rglob("*")):
        if path.suffix not in (".yaml", ".yml") or path.is_dir():
            continue
        for doc in load_yaml(path, errors):
            if not isinstance(doc.data, dict) or DEMO_KIND not in doc.data:
                errors.add(doc.at(), f"{DEMO_FOLDER}/ holds the demo organisation: a document "
                           f"that starts with '{DEMO_KIND}:' (see docs/demo.md)")
                continue
            if not validate_document(doc, DEMO_KIND, errors):
                continue
            if found:
                errors.add(doc.key_at(DEMO_KIND), f"a bundle declares one demo; "
                           f"'{found[0].name}' is declared at {found[0].location}")
                continue
            found.append(build_demo(doc, bundle, errors))
    return found[0] if found else None


def build_bundle(manifest: BundleManifest, documents: Iterable[Document],
                 errors: ErrorCollector, types: FieldTypes | None = None) -> BundleDefs:
    """The definitions of ``documents``; fields may have the ``types`` (the built-in
    ones by default)."""
    types = types if types is not None else builtin_field_types()
    entities: list[EntityDef] = []
    optionsets: list[OptionSetDef] = []
    entity_extensions: list[EntityExtension] = []
    optionset_extensions: list[OptionSetExtension] = []
    roles: list[RoleDef] = []
    role_extensions: list[RoleExtension] = []
    workflows: list[WorkflowDef] = []
    approvals: list[ApprovalDef] = []
    forms: list[FormDef] = []
    reports: list[ReportDef] = []
    intakes: list[IntakeDef] = []
    dashboards: list[DashboardDef] = []
    for doc in documents:
        kind = document_kind(doc, errors)
        if kind is None or not validate_document(doc, kind, errors, types.names):
            _left_out(doc, kind, errors)
            continue
        if kind == "entity":
            entity, inline = build_entity(doc, manifest.name, errors, types)
            entities.append(entity)
            optionsets.extend(inline)
        elif kind == "extend":
            extension, inline = build_entity_extension(doc, manifest.name, errors, types)
            entity_extensions.append(extension)
            optionsets.extend(inline)
        elif kind == "optionset":
            optionsets.append(build_optionset(doc, manifest.name, errors))
        elif kind == "extend_optionset":
            optionset_extensions.append(build_optionset_extension(doc, manifest.name, errors))
        elif kind == "role":
            roles.append(build_role(doc, manifest.name))
        elif kind == "extend_role":
            role_extensions.append(build_role_extension(doc, manifest.name))
        elif kind == "workflow":
            workflows.append(build_workflow(doc, manifest.name))
        elif kind == "form":
            forms.append(build_form(doc, manifest.name, errors))
        elif kind == "report":
            reports.append(build_report(doc, manifest.name))
        elif kind == "intake":
            intakes.append(build_intake(doc, manifest.name))
        elif kind == "dashboard":
            dashboards.append(build_dashboard(doc, manifest.name, errors))
        else:
            approvals.append(build_approval(doc, manifest.name))
    return BundleDefs(manifest, tuple(entities), tuple(optionsets),
                      tuple(entity_extensions), tuple(optionset_extensions), tuple(roles),
                      tuple(role_extensions), tuple(workflows), tuple(approvals),
                      forms=tuple(forms), reports=tuple(reports), intakes=tuple(intakes),
                      dashboards=tuple(dashboards))


def _left_out(doc: Document, kind: str | None, errors: ErrorCollector) -> None:
    """Note what a document that was reported and not built would have defined."""
    data = doc.data if isinstance(doc.data, dict) else {}
    for key, what in NAMED_KINDS.items():
        if (kind is None or kind == key) and isinstance(data.get(key), str):
            errors.not_built(what, data[key])
    if kind in (None, "approval") and isinstance(data.get("approval"), str) \
            and isinstance(data.get("entity"), str):
        # the roles granting 'comment' on its entity are not wrong: the chain is
        errors.silence(needs_on(APPROVAL_CHAIN, data["entity"]))


def customization_bundle(stored: Iterable[tuple[int, dict[str, Any]]],
                         errors: ErrorCollector, types: FieldTypes | None = None) -> BundleDefs:
    """Runtime customizations, as one more bundle loaded after all others; its version
    is how many there are (the landing page and the OpenAPI document show it)."""
    documents = [Document(data, f"customization #{cid}", 0) for cid, data in stored]
    manifest = BundleManifest(CUSTOMIZATIONS_BUNDLE, str(len(documents)),
                              Label.of("Customizations"), location=Location("customizations"))
    return build_bundle(manifest, documents, errors, types)
