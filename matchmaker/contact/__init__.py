"""对接申请 (contact requests): 我要对接 on a posting, consent, then messages inside the platform."""
