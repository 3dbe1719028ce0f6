"""Page sections: plain functions drawing on a Canvas (dashboard/canvas.py), declared in layout.py."""
