"""examples/quickstart.ipynb runs headless (nbclient) and prints the published numbers."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).parent.parent / "examples" / "quickstart.ipynb"


def test_quickstart_notebook_executes_and_prints_the_published_values():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=180, kernel_name="python3").execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stdout")
    # Fader, Hardie & Lee (2005): BG/NBD on CDNOW weeks 1-39, LL -9582.4
    assert "{'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}" in text
    assert "-9582.4" in text
    # FHL (2005): 1,882 repeat purchases in weeks 40-78
    assert "1882 repeat purchases in the holdout" in text
    # Fader & Hardie (2013), Gamma-Gamma on the same customers
    assert "{'p': 6.25, 'q': 3.74, 'gamma': 15.44}" in text
    # README: the 12-month CLV of customers 1-3 (1% a month), and the bundled channel table
    assert "[36.3, 4.64, 8.35]" in text
    assert "loses money: ['display', 'marketplace_ads']" in text
    rich = [o for o in outputs if o.output_type in ("execute_result", "display_data")]
    html = [o.data["text/html"] for o in rich if "text/html" in o.data]
    assert any("BetaGeoModel (maximum likelihood, rates per week)" in h for h in html)
    assert any("future rows dropped <b>1,959</b>" in h for h in html)
    assert sum("image/png" in o.data for o in rich) == 5
