"""API machinery, the simulated API server's side: decoding untrusted YAML (yaml_source),
defaults, validation, kubectl apply's merge (apply), the pod budget, the shapes objects are
rendered in (render), the write path of the generic registry and the kinds' strategies
(registry) and the verbs on top of it (handlers: get/list, create, update, patch, delete,
scale, eviction), patches (patch, struct_tags), selectors, Status bodies (status),
resourceVersions, Tables and discovery."""
