"""A programme that no curated description names is named from the source that lists it (derived).

The curated data (``data/programmes.ttl``) names and describes the programmes it knows. A source may
list a scheme it does not (a new engagement scheme, one of the twenty schemes of ANCT's common list
layout): its importer types the programme ``pvd:Programme`` with ``dcterms:identifier`` the value or
column that names it in the file, and this rule gives each programme without any ``rdfs:label`` the
label ``"{identifier} — {title of the source}"`` (graph ``graph/derived``), so that every programme a
query lists is readable and says where it comes from. A programme with a label is left as it is.
"""

from __future__ import annotations

import pyoxigraph as ox

from pvd_graph.build.assemble import Conflict
from pvd_graph.namespaces import DCTERMS, OX, OX_RDFS, PROV, RDFS
from pvd_graph.store import Store


def programme_names(ds: Store) -> tuple[list[ox.Triple], list[Conflict]]:
    """``programme rdfs:label "{identifier} — {source title}"@fr`` for each programme without a label."""
    rows = ds.select(f"""
        SELECT ?prog (MIN(STR(?id)) AS ?name) (MIN(STR(?title)) AS ?from) WHERE {{
          ?prog a <{OX.Programme.value}> ; <{DCTERMS.identifier}> ?id ; <{PROV.wasDerivedFrom}> ?source .
          ?source <{DCTERMS.title}> ?title .
          FILTER NOT EXISTS {{ ?prog <{RDFS.label}> ?label }}
        }} GROUP BY ?prog""", union=True)
    return [ox.Triple(prog, OX_RDFS.label, ox.Literal(f"{name.value} — {title.value}", language="fr"))
            for prog, name, title in sorted(rows, key=lambda r: r[0].value)], []
