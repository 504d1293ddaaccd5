"""The private package index (DESIGN.md section 6), served by ``workhorse-index serve``.

Modules, each with one job:

- ``names``: project and file names: normalisation and strict validation.
- ``distfiles``: reading core metadata out of an uploaded wheel or sdist.
- ``catalog``: the files on disk, their hashes and metadata sidecars.
- ``accounts``: customers, hashed download tokens, the admin token.
- ``entitlements``: which tier sees which package.
- ``pages``: PEP 503 HTML / PEP 691 JSON rendering and content negotiation.
- ``responses``: auth challenges, conditional GET and cache headers.
- ``upload``: the legacy upload API that ``hatch publish`` and twine speak.
- ``app``: the Starlette application; ``server``: running it; ``cli``: commands.
"""
