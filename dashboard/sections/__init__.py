"""Pages' Python sections: plain functions drawing on a Canvas (dashboard/canvas.py), no Streamlit."""
