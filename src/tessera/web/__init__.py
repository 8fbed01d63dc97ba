"""The pages customers and integrators see: the WebView Loyalty Page and the API docs."""
