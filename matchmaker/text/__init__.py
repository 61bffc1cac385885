"""Chinese text pipeline (文本处理): normalisation, segmentation, synonyms, key terms.

Every component that reads posting text (BM25, explanations, search) goes through
`normalize` and `tokenize`, so Traditional/Simplified, full/half width, case and
abbreviations never split the vocabulary.
"""

from matchmaker.text.markup import strip_markup
from matchmaker.text.pipeline import key_terms, normalize, shared_terms, tokenize

__all__ = ["normalize", "tokenize", "key_terms", "shared_terms", "strip_markup"]
