"""A hash embedder that records every text it embeds: what tests count re-embedding with."""

from quarry.embedders import HashEmbedder


class Counting(HashEmbedder):
    def __init__(self):
        super().__init__()
        self.seen: list[str] = []

    def embed(self, texts):
        self.seen.extend(texts)
        return super().embed(texts)
