"""pvd-graph: French territorial programmes as an RDF knowledge graph.

The public Python API (the CLI is a thin layer over it)::

    from pvd_graph import build_graph, open_built, validate
    result = build_graph(sources="../shared/data", out_dir="pvd-build")
    ds = open_built("pvd-build")          # a pvd_graph.store.Store (Oxigraph)
    report = validate(ds)

Attributes are imported lazily so that ``pvd-graph --help`` starts fast.
"""

__version__ = "0.1.0"

_API = {
    "build_graph": ("pvd_graph.build", "build_graph"),
    "BuildResult": ("pvd_graph.build", "BuildResult"),
    "validate": ("pvd_graph.validate", "validate"),
    "validate_file": ("pvd_graph.validate", "validate_file"),
    "open_built": ("pvd_graph.store", "open_built"),
    "new_dataset": ("pvd_graph.store", "new_dataset"),
    "graph_stats": ("pvd_graph.stats", "graph_stats"),
}

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        import importlib

        module, attr = _API[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'pvd_graph' has no attribute {name!r}")
