"""关注 (follow what matters): 收藏, saved searches / subscriptions and their alerts."""
