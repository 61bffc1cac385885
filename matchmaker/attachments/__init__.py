"""附件: files on postings (PDF, images, Office), checked by content, with 专利证书 marking."""
