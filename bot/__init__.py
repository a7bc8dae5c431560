"""Canon business support assistant: core service and our Rasa extensions."""
