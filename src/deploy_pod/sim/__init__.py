"""The digital twin, controller side: `deploy-pod sim up|down|status|fault`.

Pure logic (names, ports, the overlay inventory, hardware files, fault edits) lives in
small modules with unit tests; every Docker and host call goes through `docker.py`;
`engine.py` puts them together.
"""
