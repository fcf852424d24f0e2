"""Pydantic models for what clients send; the OpenAPI document is generated from them."""
