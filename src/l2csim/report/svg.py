"""Make an SVG safe to inline in the report: no scripts, no event handlers, no links out.

SVGs come from matplotlib and graphviz, but their labels carry log text, and a report
opened from an e-mail must not run code or fetch anything. The sanitiser parses the SVG
(entities off, no network), drops <script> and <foreignObject>, every on* attribute, every
reference that is not local (#id) or an inline data: image, and CSS that imports or loads
URLs; it prefixes every id so several inlined SVGs cannot capture each other's references.
"""

from __future__ import annotations

import re

from lxml import etree

DROP_TAGS = {"script", "foreignObject", "iframe", "object", "embed", "audio", "video", "metadata"}
LINK_ATTRS = {"href", "src", "action", "formaction"}
LOCAL_URL = re.compile(r"url\(\s*['\"]?#([^)'\"\s]+)['\"]?\s*\)")
ANY_URL = re.compile(r"url\(|@import|expression\(|javascript:", re.IGNORECASE)


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def sanitise_svg(svg: str | bytes, prefix: str) -> str:
    """The SVG's <svg> element as safe markup, its ids prefixed with `prefix`."""
    data = svg.encode("utf-8") if isinstance(svg, str) else svg
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        remove_comments=True,
        remove_pis=True,
        load_dtd=False,
        huge_tree=False,
    )
    root = etree.fromstring(data, parser)
    if _local(root.tag) != "svg":
        raise ValueError("not an SVG document")
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        name = _local(element.tag)
        if name in DROP_TAGS:
            parent = element.getparent()
            if parent is not None:
                parent.remove(element)
            continue
        if name == "style" and element.text and ANY_URL.search(element.text):
            element.text = ""
        for attr in list(element.attrib):
            local = _local(attr)
            value = element.attrib[attr]
            if local.lower().startswith("on") or "javascript:" in value.lower():
                del element.attrib[attr]
            elif local in LINK_ATTRS:
                if value.startswith("#"):
                    element.attrib[attr] = f"#{prefix}{value[1:]}"
                elif not value.startswith("data:image/"):
                    del element.attrib[attr]
            elif local == "id":
                element.attrib[attr] = f"{prefix}{value}"
            elif "url(" in value:
                local_refs = LOCAL_URL.sub(lambda m: f"url(#{prefix}{m.group(1)})", value)
                if ANY_URL.search(LOCAL_URL.sub("", local_refs)):
                    del element.attrib[attr]
                else:
                    element.attrib[attr] = local_refs
            elif local == "style" and ANY_URL.search(value):
                del element.attrib[attr]
    etree.cleanup_namespaces(root)
    return etree.tostring(root, encoding="unicode")
