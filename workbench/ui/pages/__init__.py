"""The pages of the app, one module each (rendered by ``workbench.ui.shell``)."""
