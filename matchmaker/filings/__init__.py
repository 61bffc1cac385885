"""成果登记汇交: results registration from funded projects (ResultFiling)."""
