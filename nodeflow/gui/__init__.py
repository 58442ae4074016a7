"""The desktop editor (PySide6). Nothing below nodeflow.gui is imported by the core or the headless runtime."""
