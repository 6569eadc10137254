"""kubectl's client-side views: the text it prints for get, describe and rollout history."""
