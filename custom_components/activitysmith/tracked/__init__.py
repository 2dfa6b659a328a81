"""Tracked entities: an entity of Home Assistant mirrored onto a Live Activity stream.

The subentry data (`config`), what each kind of entity shows by default (`defaults`),
the "Add tracked entity" flow (`flow`), one tracked entity at runtime (`entity`) and the
entry's set of them, kept in step with its subentries (`manager`).
"""
