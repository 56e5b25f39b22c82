from pvd_graph.cli import entry

entry()
