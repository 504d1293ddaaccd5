"""Framework integrations: ``workhorse.contrib.django``, ``.sqlalchemy``, ``.fastapi``, ``.flask``.

Each needs its extra (``pip install workhorse[django]`` and so on); none is
imported by the core.
"""
