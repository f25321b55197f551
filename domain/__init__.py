"""The pure vocabulary of onego: statuses, records and bilingual text.

Bottom layer: it imports nothing of the product, so workflows, activities, the store and the
edges can all speak it.
"""
