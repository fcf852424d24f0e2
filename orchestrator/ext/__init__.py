"""The external integration API's mapping (seed 000): boards, lanes and tasks are Switchyard's
boards, columns and cards, reached through an `ak_` key's board scope."""
