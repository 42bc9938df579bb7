"""Does a new question ask what an open question on the same point already asks?

Pure and rule-based. Two questions match when they ask the same kind of thing (what it
means, why, when, how much, yes or no, ...), differ in no number, negation, time frame or
named actor, and either quote the same phrase or share their content words, each weighted by
how rare it is in the article (IDF over its sentences). Every verdict has a plain-words reason.
"""

from __future__ import annotations

from .matcher import SUGGEST, THRESHOLD, Match, compare, find_duplicate, similar_pairs, terms

__all__ = ["SUGGEST", "THRESHOLD", "Match", "compare", "find_duplicate", "similar_pairs", "terms"]
