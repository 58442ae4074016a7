"""Writer and reader nodes for trained models."""
