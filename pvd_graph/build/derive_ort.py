"""The ORT dates of the tracking table against the curated ORT conventions (a derivation, no triple).

The curated data may say which convention set up a town's ORT (the Arlysère case: the framework
convention of 2023-07-03 « valant ORT » covers Albertville and Ugine), and the DGALN/ANCT tracking
table gives each commune's ORT its own signature date (Albertville 2023-07-11, the date of its own
convention). Both accounts stay in the graph, each in its source's graph; what remains of the
disagreement is one line of ``conflicts.csv`` per table operation whose commune is concerned by a
curated ORT convention of another date (or whose operation the table does not date at all):

* ``subject``: the table's operation (``id/ort/…``), ``property``: ``pvd:signedOn`` (of its
  establishing convention);
* ``kept``: the curated convention's date, source ``curated`` (the more authoritative by the build's
  precedence, and the account ``ontology/README.md`` gives: "The curated Arlysère case");
* ``dropped``: the table's date (empty when the operation has no signed, dated convention),
  source ``anct-ort``. Nothing is removed: the table's operation and convention keep their date,
  which is the table's statement; the line says which account the curated data follows.

The rule reads the two graphs by name, so a date the curated data states agrees or disagrees with
whatever the table says, for any town (ontology/README.md, "The ORT").
"""

from __future__ import annotations

import pyoxigraph as ox

from pvd_graph.build.assemble import CURATED_GRAPH, Conflict
from pvd_graph.namespaces import OX, named_graph_iri
from pvd_graph.store import Store

#: the source id of the tracking table (``pvd_graph.importers.anct_ort.IMPORTER.id``)
TABLE = "anct-ort"


def ort_dates(ds: Store) -> tuple[list[ox.Triple], list[Conflict]]:
    """Conflicts between the table's ORT operations and the curated ORT conventions of their communes."""
    table = named_graph_iri(TABLE)
    rows = ds.select(f"""
        SELECT DISTINCT ?op ?date ?curated_date WHERE {{
          GRAPH <{table}> {{ ?op a <{OX.ORT.value}> ; <{OX.concerns.value}> ?town . ?town a <{OX.Commune.value}> }}
          GRAPH <{CURATED_GRAPH}> {{
            ?curated a <{OX.ORTConvention.value}> ; <{OX.concerns.value}> ?town ; <{OX.signedOn.value}> ?curated_date
          }}
          OPTIONAL {{ GRAPH <{table}> {{ ?op <{OX.establishedBy.value}> ?c . ?c <{OX.signedOn.value}> ?date }} }}
          FILTER (!BOUND(?date) || ?date != ?curated_date)
        }}
        ORDER BY ?op ?curated_date""")
    conflicts = [Conflict(op.value, OX.signedOn.value, curated.value, "curated",
                          "" if date is None else date.value, TABLE)
                 for op, date, curated in rows]
    return [], conflicts
