"""The Streamlit pages (the view layer): they render what the app's public API returns and hold no logic."""
