"""Sphinx configuration for the llmcost-jupyter documentation.

Build offline with warnings as errors:

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Every notebook of the course (``docs/course`` links to ``notebooks/``) and every page
written as a MyST notebook is executed at build time, so the outputs shown are the ones
that the installed package and price data produce. Nothing here fetches from the network:
intersphinx is not enabled, and the theme uses system fonts.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent))

import llmcost_jupyter  # noqa: E402

project = "llmcost-jupyter"
author = "llmcost-jupyter developers"
copyright = f"{date.today().year}, {author}"  # noqa: A001 (Sphinx's name for the setting)
release = llmcost_jupyter.__version__
version = release

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "llmcost_docs",
]

exclude_patterns = [
    "_build",
    "**/.ipynb_checkpoints",
    "jupyter_execute",
]

# -- MyST and notebooks --------------------------------------------------------------------

myst_enable_extensions = ["amsmath", "colon_fence", "deflist", "dollarmath", "substitution"]
myst_heading_anchors = 3

# Execute every notebook at build time, so that the pages show current numbers. A failing
# cell fails the build instead of being shown as an error.
nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

# -- Autodoc -------------------------------------------------------------------------------

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
# Only parameters that a docstring documents are listed, so private fields stay hidden.
autodoc_typehints_description_target = "documented"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

# -- HTML ----------------------------------------------------------------------------------

html_theme = "furo"
html_title = f"llmcost-jupyter {release}"
html_show_sourcelink = False
html_copy_source = False
