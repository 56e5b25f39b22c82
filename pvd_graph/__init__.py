"""pvd-graph: French territorial programmes as an RDF knowledge graph."""

__version__ = "0.1.0"
