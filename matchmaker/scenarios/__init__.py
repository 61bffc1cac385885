"""应用场景: scenarios opened by departments and large enterprises, applications and pilots."""
